CREATE TABLE `backup_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`source` text NOT NULL,
	`target_id` text NOT NULL,
	`schedule` text NOT NULL,
	`keep_last` integer,
	`keep_days` integer,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `backup_targets` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`endpoint` text NOT NULL,
	`region` text NOT NULL,
	`bucket` text NOT NULL,
	`prefix` text DEFAULT '' NOT NULL,
	`path_style` integer NOT NULL,
	`access_key_ref` text NOT NULL,
	`secret_key_ref` text NOT NULL,
	`recipient` text NOT NULL,
	`identity_ref` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `backup_verifications` (
	`job_id` text NOT NULL,
	`object_key` text NOT NULL,
	`result` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `object_key`)
);
--> statement-breakpoint
CREATE TABLE `data_databases` (
	`id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`engine` text NOT NULL,
	`name` text NOT NULL,
	`image` text NOT NULL,
	`container_name` text NOT NULL,
	`volume` text NOT NULL,
	`network` text NOT NULL,
	`host_port` integer NOT NULL,
	`username` text NOT NULL,
	`database` text NOT NULL,
	`password_ref` text NOT NULL,
	`limits` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `data_server_images` (
	`server_id` text PRIMARY KEY NOT NULL,
	`images` text DEFAULT '{}' NOT NULL
);
