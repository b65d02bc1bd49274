#!/usr/bin/env python3
"""Follows the PostgreSQL sink: catches up from its table, then wakes on its NOTIFY channel, and keeps
each source's last sequence in a file, so a restart of either side loses nothing and repeats nothing.
A notification is only a wake-up: the rows are read from the table, in (source, sequence) order, so a
notification missed while disconnected costs nothing. psycopg2 (Debian: python3-psycopg2).

  listen_consumer.py CONNINFO [--table agent_events] [--channel agent_events] [--position-file FILE]

Prints each event (the CloudEvent JSON, byte for byte) on one line. Replace handle() with your own logic."""
import argparse, signal, json, os, select, sys, time
import psycopg2
from psycopg2 import sql


def handle(event_json):
    print(event_json, flush=True)


def load(path):
    return json.load(open(path)) if os.path.exists(path) else {}


def save(path, positions):
    with open(path + ".tmp", "w") as f:
        json.dump(positions, f)
    os.replace(path + ".tmp", path)


def catch_up(conn, table, positions, path):
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT DISTINCT source FROM {}").format(sql.Identifier(*table.split("."))))
        for (source,) in cur.fetchall():
            positions.setdefault(source, 0)
        for source in sorted(positions):
            while True:
                cur.execute(sql.SQL("SELECT sequence, event::text FROM {} WHERE source = %s AND sequence > %s ORDER BY sequence LIMIT 1000")
                            .format(sql.Identifier(*table.split("."))), (source, positions[source]))
                rows = cur.fetchall()
                for sequence, event in rows:
                    handle(event)
                    positions[source] = sequence
                if rows:
                    save(path, positions)
                if len(rows) < 1000:
                    break


def follow(conninfo, table, channel, path):
    positions = load(path)
    conn = psycopg2.connect(conninfo)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))  # before catching up: no gap
    catch_up(conn, table, positions, path)
    while True:
        if select.select([conn], [], [], 30) != ([], [], []):
            conn.poll()
            conn.notifies.clear()
        catch_up(conn, table, positions, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("conninfo", help='e.g. "host=127.0.0.1 dbname=calls user=reader"')
    p.add_argument("--table", default="agent_events")
    p.add_argument("--channel", default="agent_events")
    p.add_argument("--position-file", default="vicinotify-postgres.position")
    a = p.parse_args()
    delay = 0.5
    while True:
        try:
            follow(a.conninfo, a.table, a.channel, a.position_file)
        except psycopg2.OperationalError as e:
            print(f"postgres: {str(e).strip()}; reconnecting in {delay:.1f}s", file=sys.stderr, flush=True)
            time.sleep(delay)
            delay = min(delay * 2, 10)


if __name__ == "__main__":
    # Stop on SIGTERM and SIGINT even when started with them blocked (some supervisors, some test runners).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        main()
    except KeyboardInterrupt:
        pass
