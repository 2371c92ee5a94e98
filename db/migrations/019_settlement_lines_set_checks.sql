-- A statement's lines reference it through set-based triggers instead of a foreign key. The foreign key
-- checked every line on its own (one lookup and row lock per line: 200,000 for a large statement, about
-- two thirds of the COPY's time); these check each INSERT or UPDATE once, whatever its number of lines,
-- with the same guarantees: a line's statement exists and is key-share locked (so a concurrent delete
-- waits or the insert fails), and deleting a statement deletes its lines.
ALTER TABLE settlement_lines DROP CONSTRAINT settlement_lines_statement_id_fkey;

CREATE FUNCTION settlement_lines_statement_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted int;
  present int;
BEGIN
  SELECT count(DISTINCT statement_id) INTO wanted FROM new_lines;
  SELECT count(*) INTO present FROM (
    SELECT 1 FROM settlement_statements WHERE id IN (SELECT statement_id FROM new_lines) FOR KEY SHARE
  ) s;
  IF present < wanted THEN
    RAISE EXCEPTION 'settlement_lines: statement_id is not a settlement statement'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

-- A trigger with a transition table has one event, so inserts and updates have one each.
CREATE TRIGGER settlement_lines_statement_inserted AFTER INSERT ON settlement_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION settlement_lines_statement_exists();
CREATE TRIGGER settlement_lines_statement_updated AFTER UPDATE ON settlement_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION settlement_lines_statement_exists();

-- ON DELETE CASCADE, once per statement that deletes statements (an organization's deletion included).
CREATE FUNCTION settlement_statements_delete_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM settlement_lines WHERE statement_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;

CREATE TRIGGER settlement_statements_deleted AFTER DELETE ON settlement_statements
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION settlement_statements_delete_lines();

-- The foreign key's ON UPDATE NO ACTION: a statement that has lines keeps its id.
CREATE FUNCTION settlement_statements_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id AND EXISTS (SELECT 1 FROM settlement_lines WHERE statement_id = OLD.id) THEN
    RAISE EXCEPTION 'settlement_statements: a statement with lines keeps its id'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER settlement_statements_id_kept BEFORE UPDATE OF id ON settlement_statements
  FOR EACH ROW EXECUTE FUNCTION settlement_statements_keep_id();
