CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`name` text NOT NULL,
	`config` text NOT NULL,
	`deploy_key_ref` text,
	`env_refs` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `deploys` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`step` text NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`image` text,
	`commit` text,
	`container` text,
	`error` text,
	`build_seconds` real,
	`job_dir` text NOT NULL,
	`log` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `deploys_app` ON `deploys` (`app_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `ship_settings` (
	`server_id` text PRIMARY KEY NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`dns_env_refs` text DEFAULT '{}' NOT NULL,
	`updated_at` integer NOT NULL
);
