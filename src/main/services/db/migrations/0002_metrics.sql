CREATE TABLE `container_samples` (
	`server_id` text NOT NULL,
	`container_id` text NOT NULL,
	`name` text NOT NULL,
	`at` integer NOT NULL,
	`cpu_percent` real,
	`mem_used` integer NOT NULL,
	`mem_limit` integer NOT NULL,
	PRIMARY KEY(`server_id`, `container_id`, `at`)
);
--> statement-breakpoint
CREATE INDEX `container_samples_at` ON `container_samples` (`at`);--> statement-breakpoint
CREATE TABLE `host_samples` (
	`server_id` text NOT NULL,
	`at` integer NOT NULL,
	`cpu_percent` real,
	`mem_used` integer NOT NULL,
	`mem_total` integer NOT NULL,
	`disk_used` integer NOT NULL,
	`disk_total` integer NOT NULL,
	`load1` real NOT NULL,
	`load5` real NOT NULL,
	`load15` real NOT NULL,
	`uptime` integer NOT NULL,
	PRIMARY KEY(`server_id`, `at`)
);
