CREATE TABLE `alert_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`severities` text,
	`settings` text NOT NULL,
	`secret_ref` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alert_servers` (
	`server_id` text PRIMARY KEY NOT NULL,
	`channel_ids` text,
	`seen_at` integer,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
