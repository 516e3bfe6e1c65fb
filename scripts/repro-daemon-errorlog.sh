#!/usr/bin/env bash
# Reproduces an open bug (issue 8): `authwatch watch` following an access log and an error log
# misses the password-file-unreadable alert in about half the runs, although every event is
# counted and none is late (the engine alone fires in every order tried). Run after npm run build.
D=$(mktemp -d); mkdir $D/logs; printf 'inputs:\n  - path: ./logs/*.log\nstate_dir: ./state\noutputs:\n  - type: jsonl\n    path: ./alerts.jsonl\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n' > $D/authwatch.yaml; : > $D/logs/access.log; : > $D/logs/error.log
node dist/cli/main.js watch -c $D/authwatch.yaml 2> $D/err.log & P=$!
sleep 0.8
A=$(date -u -d '-600 sec' '+%d/%b/%Y:%H:%M:%S +0000'); E=$(date -u -d '-600 sec' '+%Y/%m/%d %H:%M:%S')
for i in 1 2 3; do echo "10.8.0.15 - - [$A] \"GET /admin/ HTTP/1.1\" 401 1 \"-\" \"Mozilla/5.0\"" >> $D/logs/access.log; done
for i in 1 2 3; do echo "$E [crit] 812#812: *$i open() \"/etc/nginx/.htpasswd\" failed (2: No such file or directory), client: 10.8.0.15, server: shop, request: \"GET /admin/ HTTP/1.1\", host: \"shop\"" >> $D/logs/error.log; done
sleep 1
B=$(date -u -d '-5 sec' '+%d/%b/%Y:%H:%M:%S +0000'); echo "10.8.0.99 - - [$B] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"" >> $D/logs/access.log
sleep 2; kill $P; sleep 0.5
if [ -f $D/alerts.jsonl ]; then echo FIRED; else echo MISSING; grep -v "detected\|metrics\|started\|ready" $D/err.log | cut -c1-300; fi
