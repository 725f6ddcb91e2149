-- The user change feed (issue 19): the users-service keeps the profiles it serves in memory and
-- forgets one when a row it is built from changes, whichever process wrote it. On SQLite each such
-- change appends the user's id here (a reader asks for rows after the last seq it saw); on
-- PostgreSQL the same triggers send a NOTIFY instead. Only the columns a profile shows count:
-- a sign-in's last_login_at or a TOTP code's last_used_step is not a change.
CREATE TABLE `user_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL
);
--> statement-breakpoint
CREATE TRIGGER `users_changed` AFTER UPDATE OF `email`, `email_verified`, `name`, `locale`, `role`, `is_active` ON `users`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (NEW.`id`); END;
--> statement-breakpoint
CREATE TRIGGER `users_deleted` AFTER DELETE ON `users`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (OLD.`id`); END;
--> statement-breakpoint
CREATE TRIGGER `identities_added` AFTER INSERT ON `identities`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (NEW.`user_id`); END;
--> statement-breakpoint
CREATE TRIGGER `identities_changed` AFTER UPDATE ON `identities`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (OLD.`user_id`); INSERT INTO `user_changes` (`user_id`) VALUES (NEW.`user_id`); END;
--> statement-breakpoint
CREATE TRIGGER `identities_removed` AFTER DELETE ON `identities`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (OLD.`user_id`); END;
--> statement-breakpoint
CREATE TRIGGER `totp_factors_added` AFTER INSERT ON `totp_factors`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (NEW.`user_id`); END;
--> statement-breakpoint
CREATE TRIGGER `totp_factors_changed` AFTER UPDATE OF `confirmed_at` ON `totp_factors`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (NEW.`user_id`); END;
--> statement-breakpoint
CREATE TRIGGER `totp_factors_removed` AFTER DELETE ON `totp_factors`
BEGIN INSERT INTO `user_changes` (`user_id`) VALUES (OLD.`user_id`); END;
