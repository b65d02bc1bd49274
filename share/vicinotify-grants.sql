-- A read-only MariaDB user for vicinotify's database source: SELECT on the columns it reads and nothing
-- else (not vicidial_users.pass, not customers' phone numbers), at most 2 connections, 2 s per statement.
-- Run on the replica vicinotify reads, as a MariaDB administrator; replace the host and the password.
CREATE USER IF NOT EXISTS 'vicinotify_ro'@'127.0.0.1' IDENTIFIED BY 'ro-secret' WITH MAX_USER_CONNECTIONS 2 MAX_STATEMENT_TIME 2;
GRANT SELECT (live_agent_id, user, conf_exten, status, lead_id, campaign_id, callerid, last_call_time, last_update_time, comments,
              calls_today, agent_log_id, last_state_change, on_hook_agent, ring_callerid, preview_lead_id)
  ON asterisk.vicidial_live_agents TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (channel_group) ON asterisk.parked_channels TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (user, full_name, user_group, user_level, user_hide_realtime) ON asterisk.vicidial_users TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (agent_log_id, user, sub_status) ON asterisk.vicidial_agent_log TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (auto_call_id, campaign_id, status, callerid, uniqueid, channel, call_time, call_type, stage, queue_priority, agent_only)
  ON asterisk.vicidial_auto_calls TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (group_id, group_name, answer_sec_pct_rt_stat_one) ON asterisk.vicidial_inbound_groups TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (campaign_id, campaign_name, closer_campaigns) ON asterisk.vicidial_campaigns TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (chat_id, chat_creator, lead_id, chat_start_time) ON asterisk.vicidial_live_chats TO 'vicinotify_ro'@'127.0.0.1';
GRANT SELECT (chat_id, message) ON asterisk.vicidial_chat_log TO 'vicinotify_ro'@'127.0.0.1';
-- For queues (a source's "queues" block): who takes each in-group now.
GRANT SELECT (user, group_id) ON asterisk.vicidial_live_inbound_agents TO 'vicinotify_ro'@'127.0.0.1';
-- ... and today's offered, answered, dropped and service level per in-group and campaign.
GRANT SELECT (campaign_id, calls_today, answers_today, drops_today, hold_sec_stat_one)
  ON asterisk.vicidial_campaign_stats TO 'vicinotify_ro'@'127.0.0.1';
