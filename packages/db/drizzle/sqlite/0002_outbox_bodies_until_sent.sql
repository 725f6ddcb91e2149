PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_email_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`to_address` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text,
	`html_body` text,
	`created_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`locked_until` integer,
	`sent_at` integer,
	`last_error` text,
	CONSTRAINT "email_outbox_body_until_sent" CHECK(sent_at is not null or text_body is not null)
);
--> statement-breakpoint
INSERT INTO `__new_email_outbox`("id", "kind", "to_address", "subject", "text_body", "html_body", "created_at", "attempts", "next_attempt_at", "locked_until", "sent_at", "last_error") SELECT "id", "kind", "to_address", "subject", "text_body", "html_body", "created_at", "attempts", "next_attempt_at", "locked_until", "sent_at", "last_error" FROM `email_outbox`;--> statement-breakpoint
DROP TABLE `email_outbox`;--> statement-breakpoint
ALTER TABLE `__new_email_outbox` RENAME TO `email_outbox`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `email_outbox_pending_idx` ON `email_outbox` (`sent_at`,`next_attempt_at`);