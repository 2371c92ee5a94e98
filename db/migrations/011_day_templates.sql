-- Day templates: a day's curves saved under a name, applied to another day or asset of the same kind.
-- `hours` holds one entry per hour-ending label (HE1…HE24, HE2* for the repeated autumn hour):
-- [{ "label": "HE7", "side": "offer", "segments": [{ "price": 30, "quantity": 10 }] }], checked by
-- services/bids/template_schema.ts before it is stored.

CREATE TABLE day_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  asset_kind text NOT NULL CHECK (asset_kind IN ('solar', 'wind', 'storage', 'thermal')),
  hours jsonb NOT NULL CHECK (jsonb_typeof(hours) = 'array'),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
