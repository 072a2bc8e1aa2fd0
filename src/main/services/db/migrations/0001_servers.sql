CREATE TABLE `host_keys` (
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`key_type` text NOT NULL,
	`fingerprint` text NOT NULL,
	`source` text NOT NULL,
	`pinned_at` integer NOT NULL,
	PRIMARY KEY(`host`, `port`, `key_type`)
);
--> statement-breakpoint
CREATE TABLE `servers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`host` text NOT NULL,
	`port` integer DEFAULT 22 NOT NULL,
	`username` text NOT NULL,
	`auth_method` text NOT NULL,
	`key_path` text,
	`secret_ref` text,
	`passphrase_ref` text,
	`jump_server_id` text,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `servers_name_unique` ON `servers` (`name`);