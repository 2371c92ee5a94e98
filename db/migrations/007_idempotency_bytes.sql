-- An idempotent replay sends the stored answer byte for byte: jsonb would reorder its keys (and
-- normalise numbers), so the answer is kept as the JSON text that was sent. The status is not kept:
-- each operation answers one success status, which its route knows.
ALTER TABLE idempotency_keys ALTER COLUMN response TYPE text USING response::text;
ALTER TABLE idempotency_keys DROP COLUMN status;
