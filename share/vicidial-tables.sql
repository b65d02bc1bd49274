-- The VICIdial tables the database source reads, with the columns it reads and their types in VICIdial's
-- schema (2.14), engines as VICIdial has them. For tests and benchmarks: a real VICIdial has many more columns.
CREATE TABLE vicidial_live_agents (
  live_agent_id INT(9) UNSIGNED AUTO_INCREMENT PRIMARY KEY, user VARCHAR(20), server_ip VARCHAR(15) NOT NULL DEFAULT '',
  conf_exten VARCHAR(20), extension VARCHAR(100),
  status ENUM('READY','QUEUE','INCALL','PAUSED','CLOSER','MQUEUE') DEFAULT 'PAUSED', lead_id INT(9) UNSIGNED NOT NULL DEFAULT 0,
  campaign_id VARCHAR(8), uniqueid VARCHAR(20), callerid VARCHAR(20), channel VARCHAR(100), last_call_time DATETIME,
  last_update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, closer_campaigns TEXT,
  user_level TINYINT(3) UNSIGNED DEFAULT 0, comments VARCHAR(20), calls_today SMALLINT(5) UNSIGNED DEFAULT 0,
  agent_log_id INT(9) UNSIGNED DEFAULT 0, last_state_change DATETIME, on_hook_agent ENUM('Y','N') DEFAULT 'N',
  ring_callerid VARCHAR(20) DEFAULT '', preview_lead_id INT(9) UNSIGNED DEFAULT 0, dial_campaign_id VARCHAR(8) DEFAULT '',
  INDEX (user)
) ENGINE=MyISAM;
CREATE TABLE vicidial_users (
  user_id INT(9) UNSIGNED AUTO_INCREMENT PRIMARY KEY, user VARCHAR(20) NOT NULL, pass VARCHAR(100) NOT NULL DEFAULT '',
  full_name VARCHAR(50), user_level TINYINT(3) UNSIGNED DEFAULT 1, user_group VARCHAR(20), closer_campaigns TEXT,
  active ENUM('Y','N') DEFAULT 'Y', api_allowed_functions VARCHAR(1000) DEFAULT ' ALL_FUNCTIONS ',
  user_hide_realtime ENUM('1','0') DEFAULT '0', UNIQUE INDEX user (user)
) ENGINE=MyISAM;
CREATE TABLE vicidial_agent_log (
  agent_log_id INT(9) UNSIGNED AUTO_INCREMENT PRIMARY KEY, user VARCHAR(20), server_ip VARCHAR(15) NOT NULL DEFAULT '',
  event_time DATETIME, lead_id INT(9) UNSIGNED, campaign_id VARCHAR(8), pause_epoch INT(10) UNSIGNED, pause_sec SMALLINT(5) UNSIGNED DEFAULT 0,
  wait_epoch INT(10) UNSIGNED, wait_sec SMALLINT(5) UNSIGNED DEFAULT 0, talk_epoch INT(10) UNSIGNED, talk_sec SMALLINT(5) UNSIGNED DEFAULT 0,
  dispo_epoch INT(10) UNSIGNED, dispo_sec SMALLINT(5) UNSIGNED DEFAULT 0, status VARCHAR(6), user_group VARCHAR(20), comments VARCHAR(20),
  sub_status VARCHAR(6), dead_epoch INT(10) UNSIGNED, dead_sec SMALLINT(5) UNSIGNED DEFAULT 0, processed ENUM('Y','N') DEFAULT 'N',
  uniqueid VARCHAR(20) DEFAULT '', pause_type ENUM('UNDEFINED','SYSTEM','AGENT','API','ADMIN') DEFAULT 'UNDEFINED',
  INDEX (user), INDEX (event_time)
) ENGINE=MyISAM;
CREATE TABLE vicidial_auto_calls (
  auto_call_id INT(9) UNSIGNED AUTO_INCREMENT PRIMARY KEY, server_ip VARCHAR(15) NOT NULL DEFAULT '', campaign_id VARCHAR(20),
  status ENUM('SENT','RINGING','LIVE','XFER','PAUSED','CLOSER','BUSY','DISCONNECT','IVR') DEFAULT 'PAUSED',
  lead_id INT(9) UNSIGNED NOT NULL DEFAULT 0, uniqueid VARCHAR(20), callerid VARCHAR(20), channel VARCHAR(100), phone_code VARCHAR(10),
  phone_number VARCHAR(18), call_time DATETIME, call_type ENUM('IN','OUT','OUTBALANCE') DEFAULT 'OUT', stage VARCHAR(20) DEFAULT 'START',
  last_update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, alt_dial VARCHAR(6) DEFAULT 'NONE',
  queue_priority TINYINT(2) DEFAULT 0, agent_only VARCHAR(20) DEFAULT '', agent_grab VARCHAR(20) DEFAULT '',
  queue_position SMALLINT(4) UNSIGNED DEFAULT 1, extension VARCHAR(100) DEFAULT '', agent_grab_extension VARCHAR(100) DEFAULT '',
  INDEX USING HASH (callerid), INDEX USING HASH (uniqueid)
) ENGINE=MEMORY;
CREATE TABLE parked_channels (
  channel VARCHAR(100) NOT NULL, server_ip VARCHAR(15) NOT NULL, channel_group VARCHAR(30), extension VARCHAR(100),
  parked_by VARCHAR(100), parked_time DATETIME, PRIMARY KEY (channel)
) ENGINE=MEMORY;
CREATE TABLE vicidial_inbound_groups (
  group_id VARCHAR(20) PRIMARY KEY, group_name VARCHAR(30), active ENUM('Y','N') DEFAULT 'Y', queue_priority TINYINT(2) DEFAULT 0,
  user_group VARCHAR(20) DEFAULT '---ALL---', answer_sec_pct_rt_stat_one SMALLINT(5) UNSIGNED DEFAULT 20,
  answer_sec_pct_rt_stat_two SMALLINT(5) UNSIGNED DEFAULT 30
) ENGINE=MyISAM;
CREATE TABLE vicidial_campaign_stats (
  campaign_id VARCHAR(20) PRIMARY KEY, update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  dialable_leads INT(9) UNSIGNED DEFAULT 0, calls_today INT(9) UNSIGNED DEFAULT 0, answers_today INT(9) UNSIGNED DEFAULT 0,
  drops_today DOUBLE(12,3) UNSIGNED DEFAULT 0, drops_today_pct VARCHAR(6) DEFAULT '0', drops_answers_today_pct VARCHAR(6) DEFAULT '0',
  hold_sec_stat_one MEDIUMINT(8) UNSIGNED DEFAULT 0, hold_sec_stat_two MEDIUMINT(8) UNSIGNED DEFAULT 0,
  agent_non_pause_sec MEDIUMINT(8) UNSIGNED DEFAULT 0, hold_sec_answer_calls MEDIUMINT(8) UNSIGNED DEFAULT 0,
  hold_sec_drop_calls MEDIUMINT(8) UNSIGNED DEFAULT 0, hold_sec_queue_calls MEDIUMINT(8) UNSIGNED DEFAULT 0
) ENGINE=MyISAM;
CREATE TABLE vicidial_campaigns (
  campaign_id VARCHAR(8) PRIMARY KEY, campaign_name VARCHAR(40), active ENUM('Y','N') DEFAULT 'Y', closer_campaigns TEXT,
  agent_pause_codes_active ENUM('Y','N','FORCE') DEFAULT 'N', queue_priority TINYINT(2) DEFAULT 50, user_group VARCHAR(20) DEFAULT '---ALL---'
) ENGINE=MyISAM;
CREATE TABLE vicidial_live_chats (
  chat_id INT(9) UNSIGNED AUTO_INCREMENT PRIMARY KEY, chat_start_time DATETIME, status VARCHAR(20), chat_creator VARCHAR(20),
  group_id VARCHAR(20), lead_id INT(9) UNSIGNED, transferring_agent VARCHAR(20), user_direct VARCHAR(20), user_direct_group_id VARCHAR(20)
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;
CREATE TABLE vicidial_chat_log (
  message_row_id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY, chat_id VARCHAR(20), message MEDIUMTEXT,
  message_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP, poster VARCHAR(100), chat_member_name VARCHAR(100), chat_level ENUM('0','1') DEFAULT '0'
) ENGINE=MyISAM;
CREATE TABLE vicidial_live_inbound_agents (
  user VARCHAR(20), group_id VARCHAR(20), group_weight TINYINT(1) DEFAULT 0, calls_today SMALLINT(5) UNSIGNED DEFAULT 0,
  last_call_time DATETIME, last_call_finish DATETIME, group_grade TINYINT(2) UNSIGNED DEFAULT 1,
  calls_today_filtered SMALLINT(5) UNSIGNED DEFAULT 0, last_call_time_filtered DATETIME, last_call_finish_filtered DATETIME,
  daily_limit SMALLINT(5) DEFAULT -1, INDEX (group_id), INDEX (user)
) ENGINE=MyISAM;
