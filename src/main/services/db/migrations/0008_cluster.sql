CREATE TABLE `cluster_members` (
	`cluster_id` text NOT NULL,
	`server_id` text NOT NULL,
	`role` text NOT NULL,
	`advertise_addr` text NOT NULL,
	`node_id` text,
	`pending` text,
	`position` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`cluster_id`, `server_id`),
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cluster_members_server_id_unique` ON `cluster_members` (`server_id`);--> statement-breakpoint
CREATE TABLE `clusters` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`addr_pool` text NOT NULL,
	`swarm_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clusters_name_unique` ON `clusters` (`name`);