-- The user change feed (issue 19): the users-service keeps the profiles it serves in memory and
-- forgets one when a row it is built from changes, whichever process wrote it. The trigger's
-- argument names the column that holds the user's id. A change sends
-- the user's id on the channel `authpair_user_changes` (delivered at commit, once per user and
-- transaction; nothing for a rolled-back one). Only the columns a profile shows count: a
-- sign-in's last_login_at or a TOTP code's last_used_step is not a change.
CREATE FUNCTION "authpair_user_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		PERFORM pg_notify('authpair_user_changes', to_jsonb(OLD) ->> TG_ARGV[0]);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		PERFORM pg_notify('authpair_user_changes', to_jsonb(NEW) ->> TG_ARGV[0]);
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_changed" AFTER UPDATE OF "email", "email_verified", "name", "locale", "role", "is_active" OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION "authpair_user_changed"('id');
--> statement-breakpoint
CREATE TRIGGER "identities_changed" AFTER INSERT OR UPDATE OR DELETE ON "identities" FOR EACH ROW EXECUTE FUNCTION "authpair_user_changed"('user_id');
--> statement-breakpoint
CREATE TRIGGER "totp_factors_changed" AFTER INSERT OR UPDATE OF "confirmed_at" OR DELETE ON "totp_factors" FOR EACH ROW EXECUTE FUNCTION "authpair_user_changed"('user_id');
