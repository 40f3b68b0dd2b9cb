#!/usr/bin/env python3
"""Generate a synthetic monorepo shaped like the reference layout, with a git history.

usage: gen.py DIR --files N --commits C [--seed S]

The tree mixes Rust, TypeScript, PHP, SQL, proto, deploy scripts and docs under the reference
layout's roots (apps/runtime, apps/openagents.com, crates/*, proto/openagents/*, docs/). About
one file in 200 carries a line an invariant check looks at (an EventSource in a client, a
long-poll route), and many carry near misses (Poll::Ready, KHALA_POLL_INTERVAL, comments), so
both the tools compared do real matching work. The first commit holds the tree; each later
commit edits a few files, so `HEAD~20` and `HEAD~200` are meaningful bases.
"""
import argparse
import os
import random
import subprocess

RUST = """//! {name}: synthetic module {i}.
use std::collections::BTreeMap;
use std::task::{{Context, Poll}};

#[derive(Debug, Clone)]
pub struct {ty} {{
    pub id: u64,
    pub topic: String,
    pub seq: u64,
    pub payload: Vec<u8>,
}}

impl {ty} {{
    pub fn new(id: u64, topic: &str) -> Self {{
        Self {{ id, topic: topic.to_string(), seq: 0, payload: Vec::new() }}
    }}

    pub fn apply(&mut self, seq: u64, payload: &[u8]) -> bool {{
        if seq <= self.seq {{
            return false;
        }}
        self.seq = seq;
        self.payload = payload.to_vec();
        true
    }}

    pub fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<()> {{
        Poll::Ready(())
    }}
}}

pub fn index(items: &[{ty}]) -> BTreeMap<u64, usize> {{
    items.iter().enumerate().map(|(n, it)| (it.id, n)).collect()
}}
"""

TS = """// {name}: synthetic client module {i}.
import {{ connectKhala }} from "./khalaClient";

export const KHALA_POLL_INTERVAL = 4000;

export interface Frame{i} {{
  topic: string;
  seq: number;
  payload: unknown;
}}

export function subscribe{i}(topic: string, lastSeq: number): WebSocket {{
  const socket = connectKhala(topic, lastSeq);
  socket.onmessage = (event) => {{
    const frame = JSON.parse(event.data) as Frame{i};
    if (frame.seq <= lastSeq) return;
    lastSeq = frame.seq;
  }};
  return socket;
}}
"""

PHP = """<?php

namespace App\\Http\\Controllers;

// {name}: synthetic controller {i}.
class Controller{i}
{{
    public function show(string $id)
    {{
        $row = DB::table('autopilots')->where('id', $id)->first();
        return response()->json(['id' => $id, 'row' => $row]);
    }}

    public function update(string $id)
    {{
        DB::table('autopilots')->where('id', $id)->update(['touched' => now()]);
        return response()->noContent();
    }}
}}
"""

SQL = """-- {name}: synthetic migration {i}
CREATE TABLE IF NOT EXISTS runtime.table_{i} (
    id BIGSERIAL PRIMARY KEY,
    topic TEXT NOT NULL,
    seq BIGINT NOT NULL,
    payload JSONB NOT NULL DEFAULT '{{}}'::jsonb,
    UNIQUE (topic, seq)
);
CREATE INDEX IF NOT EXISTS table_{i}_topic ON runtime.table_{i} (topic, seq);
"""

PROTO = """syntax = "proto3";

package openagents.{pkg}.v1;

// {name}: synthetic messages {i}.
message Item{i} {{
  string id = 1;
  string topic = 2;
  uint64 seq = 3;
  bytes payload = 4;
}}
"""

SH = """#!/usr/bin/env bash
# {name}: synthetic deploy helper {i}
set -euo pipefail
PROJECT="${{PROJECT:-openagents}}"
REGION="${{REGION:-us-central1}}"
echo "deploying helper {i} to $PROJECT/$REGION"
"""

MD = """# {name}

Synthetic design note {i}. Live updates are delivered over one WebSocket per client;
clients resume after the last applied `seq` and discard duplicates.

- topic: `run/{i}`
- ordering: `(topic, seq)`
"""

LAYOUT = [
    # (weight, directory pattern, extension, template)
    (30, "apps/runtime/src/mod{d}", "rs", RUST),
    (20, "crates/openagents-lib{d}/src", "rs", RUST),
    (20, "apps/openagents.com/resources/js/feature{d}", "ts", TS),
    (12, "apps/openagents.com/app/Http/Controllers/Area{d}", "php", PHP),
    (6, "apps/runtime/sql/migrations/set{d}", "sql", SQL),
    (4, "proto/openagents/pkg{d}/v1", "proto", PROTO),
    (3, "apps/runtime/deploy/scripts{d}", "sh", SH),
    (5, "docs/area{d}", "md", MD),
]

HOTSPOTS = [
    ("ts", '  const fallback = new EventSource(`/internal/v1/khala/topics/${topic}/stream`);\n'),
    ("rs", '        .route("/internal/v1/khala/topics/:topic/long-poll", get(long_poll))\n'),
]


def render(tmpl, i, name, pkg):
    ty = "Item%d" % i
    return tmpl.format(i=i, name=name, ty=ty, pkg=pkg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--commits", type=int, default=25)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    os.makedirs(args.dir, exist_ok=True)
    total_w = sum(w for w, *_ in LAYOUT)
    paths = []
    for i in range(args.files):
        pick = rnd.uniform(0, total_w)
        acc = 0
        for w, d, ext, tmpl in LAYOUT:
            acc += w
            if pick <= acc:
                break
        directory = d.format(d=i % 97)
        name = "f%05d.%s" % (i, ext)
        rel = os.path.join(directory, name)
        text = render(tmpl, i, name, "pkg%d" % (i % 97))
        if rnd.random() < 0.005:
            for hext, line in HOTSPOTS:
                if hext == ext:
                    text += line
        full = os.path.join(args.dir, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        paths.append((rel, ext))

    env = dict(os.environ)
    env.update({
        "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@invlint.invalid",
        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@invlint.invalid",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
    })

    def git(*a):
        subprocess.run(["git", *a], cwd=args.dir, env=env, check=True,
                       stdout=subprocess.DEVNULL)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "synthetic monorepo")
    for c in range(args.commits):
        for _ in range(rnd.randint(2, 8)):
            rel, ext = rnd.choice(paths)
            with open(os.path.join(args.dir, rel), "a") as f:
                if ext in ("rs", "ts") and rnd.random() < 0.1:
                    f.write(dict(HOTSPOTS)[ext])
                elif ext in ("rs", "ts", "php", "proto"):
                    f.write("// edit %d\n" % c)
                else:
                    f.write("# edit %d\n" % c)
        git("add", "-A")
        git("commit", "-q", "-m", "change %d" % c)


if __name__ == "__main__":
    main()
