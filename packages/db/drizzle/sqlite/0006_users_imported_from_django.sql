ALTER TABLE `users` ADD `last_login_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `legacy_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_legacy_id_key` ON `users` (`legacy_id`);