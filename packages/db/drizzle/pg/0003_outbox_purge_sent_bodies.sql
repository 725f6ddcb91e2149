-- Mail sent before bodies were dropped on sending still holds its links (reset and verification
-- tokens) in clear: drop those bodies now instead of waiting for the retention sweep.
UPDATE "email_outbox" SET "text_body" = NULL, "html_body" = NULL WHERE "sent_at" IS NOT NULL;
