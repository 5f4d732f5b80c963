# fish completion for dagctl (and dagctld).
#
# Install as /usr/share/fish/vendor_completions.d/dagctl.fish (a dagctld.fish symlink to it
# loads dagctld's too). Job, project, run and token names are asked from the running
# daemon through `dagctl -o json` and python3, and left out silently when it does not
# answer.
#
# Keep in step with cli/*.cpp and daemon/config.cpp; tests/integration/test_cli_docs.sh
# checks that every command and option of the --help output is named here.

# Options that take a value: their next word is not a command.
set -g __dagctl_value_options --socket -o --output --color --until --trigger -O --output-file --data-dir --listen --dbt --sqlmesh --type --max-parallel \
    --name --profiles-dir --target --env --project --command --schedule --timezone --timeout \
    --enabled --catchup --airflow-assets --webhook-url --webhook-header --webhook-events --webhook-enabled \
    --webhook-auth --webhook-auth-token-url --webhook-auth-username --webhook-auth-password \
    -s --select --exclude --job --status --limit --expires-in --scope --path --unset-env --since --before \
    --sandbox --keep-days --keep-runs --selector --vars --threads --resource-type --slack --slack-events

function __dagctl_subcommands --description 'Subcommands under a dagctl command path'
    switch "$argv"
        case ''
            echo status org daemon project job trigger ls runs run logs watch cancel retry token webhook doctor ui
        case org
            echo show
        case run
            echo show artifacts
        case daemon
            echo start stop
        case project
            echo add list show update remove
        case job
            echo list show create update delete
        case token
            echo create list revoke
        case webhook
            echo secret deliveries redeliver test
    end
end

function __dagctl_tokens --description 'The words before the cursor, without the command'
    set -l tokens (commandline -xpc 2>/dev/null)
    or set tokens (commandline -opc)
    printf '%s\n' $tokens[2..-1]
end

function __dagctl_path --description 'The dagctl command path being typed, e.g. "job update"'
    set -l path
    set -l skip 0
    for t in (__dagctl_tokens)
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*'
            case '-*'
                contains -- $t $__dagctl_value_options; and set skip 1
            case '*'
                if contains -- $t (string split ' ' -- (__dagctl_subcommands $path))
                    set -a path $t
                end
        end
    end
    echo $path
end

function __dagctl_at --description 'True when the command path is exactly $argv'
    set -l path (__dagctl_path)
    test "$path" = "$argv"
end

function __dagctl_socket --description 'The --socket given on the command line'
    set -l tokens (__dagctl_tokens)
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case '--socket=*'
                string replace -- --socket= '' $tokens[$i]
                return
            case --socket
                set -l next (math $i + 1)
                test $next -le (count $tokens); and echo $tokens[$next]
                return
        end
    end
end

function __dagctl_ask --description 'Names from the running daemon: job, project, run or token'
    command -q python3; or return 0
    set -l cmd (commandline -xpc 2>/dev/null)[1]
    or set cmd (commandline -opc)[1]
    set -a cmd -o json
    set -l socket (__dagctl_socket)
    test -n "$socket"; and set -a cmd --socket $socket
    switch $argv[1]
        case job project
            set -a cmd project list
        case run
            set -a cmd runs --limit 50
        case token
            set -a cmd token list
        case '*'
            return 0
    end
    command -q timeout; and set cmd timeout 2 $cmd
    $cmd 2>/dev/null | python3 -c '
import json, sys
what = sys.argv[1]
try:
    d = json.load(sys.stdin)
    if what == "job":
        out = [p["name"] + "/" + j["name"] for p in d["projects"] for j in p["jobs"]]
    elif what == "project":
        out = [p["name"] for p in d["projects"]]
    elif what == "run":
        out = [r["id"] for r in d["runs"]]
    else:
        out = [t["id"] for t in d["tokens"] if not t.get("revoked_at")]
    for name in out:
        print(name)
except Exception:
    pass
' $argv[1] 2>/dev/null
end

function __dagctl_zones --description 'IANA time zone names'
    for z in /usr/share/zoneinfo/*/* /usr/share/zoneinfo/*
        test -f $z; or continue
        string replace -- /usr/share/zoneinfo/ '' $z
    end | string match -rv '^(posix|right)/|\.tab$|\.zi$|^leap|^posixrules$|^tzdata'
end

# No file names unless an option or argument asks for them.
complete -c dagctl -f

# Global options (CLI11 takes them after any command too).
complete -c dagctl -l socket -r -F -d "dagctld's Unix socket (DAGCTL_SOCKET)"
complete -c dagctl -s o -l output -x -a 'text json' -d 'Output format'
complete -c dagctl -l color -x -a 'auto always never' -d 'Colour on a terminal (NO_COLOR)'
complete -c dagctl -s h -l help -d 'Print help and exit'
complete -c dagctl -n '__dagctl_at ""' -l version -d 'Print version and exit'

# Commands.
complete -c dagctl -n '__dagctl_at ""' -a status -d 'Is dagctld running? Version, pid, addresses, runs'
complete -c dagctl -n '__dagctl_at ""' -a org -d 'The organization that owns tokens and projects'
complete -c dagctl -n '__dagctl_at ""' -a daemon -d 'Start or stop dagctld in the background'
complete -c dagctl -n '__dagctl_at ""' -a project -d 'Register and inspect dbt projects'
complete -c dagctl -n '__dagctl_at ""' -a job -d 'Create, change and inspect jobs'
complete -c dagctl -n '__dagctl_at ""' -a trigger -d 'Start a run of a job'
complete -c dagctl -n '__dagctl_at ""' -a ls -d 'List the nodes a trigger of the job would run'
complete -c dagctl -n '__dagctl_at ""' -a runs -d 'Run history, newest first'
complete -c dagctl -n '__dagctl_at ""' -a run -d 'One run'
complete -c dagctl -n '__dagctl_at ""' -a logs -d "A run's output (dbt's or SQLMesh's console)"
complete -c dagctl -n '__dagctl_at ""' -a watch -d 'Follow a run to its end'
complete -c dagctl -n '__dagctl_at ""' -a cancel -d 'Cancel a queued or running run'
complete -c dagctl -n '__dagctl_at ""' -a retry -d 'Re-run only what failed in a run (dbt retry; a SQLMesh run: its command again)'
complete -c dagctl -n '__dagctl_at ""' -a token -d 'API tokens for the REST API'
complete -c dagctl -n '__dagctl_at ""' -a webhook -d 'The signing secret, the delivery log, resend and test'
complete -c dagctl -n '__dagctl_at ""' -a doctor -d 'Check the daemon, its data dir, sandbox and listener, and every project'
complete -c dagctl -n '__dagctl_at ""' -a ui -d 'Open the web UI in your browser with a one-time login link'
complete -c dagctl -n '__dagctl_at ui' -l print-url -d 'Print the link instead of opening it'

# org
complete -c dagctl -n '__dagctl_at org' -a show -d 'Its id and name'

# daemon start|stop
complete -c dagctl -n '__dagctl_at daemon' -a start -d 'Start dagctld in the background'
complete -c dagctl -n '__dagctl_at daemon' -a stop -d 'Stop dagctld; queued runs stay queued'
complete -c dagctl -n '__dagctl_at daemon start' -l data-dir -x -a '(__fish_complete_directories)' -d 'Daemon state folder (DAGCTL_DATA_DIR)'
complete -c dagctl -n '__dagctl_at daemon start' -l listen -x -a '127.0.0.1:8780 127.0.0.1:0 none' -d 'HOST:PORT for the REST API, or none'
complete -c dagctl -n '__dagctl_at daemon start' -l dbt -r -F -d 'dbt executable'
complete -c dagctl -n '__dagctl_at daemon start' -l sqlmesh -r -F -d 'sqlmesh executable for SQLMesh projects'
complete -c dagctl -n '__dagctl_at daemon start' -l max-parallel -x -d 'Runs at once'
complete -c dagctl -n '__dagctl_at daemon start' -l sandbox -x -a 'auto on off' -d 'Run dbt in a bubblewrap sandbox'
complete -c dagctl -n '__dagctl_at daemon start' -l keep-days -x -d 'Prune finished runs older than this many days'
complete -c dagctl -n '__dagctl_at daemon start' -l keep-runs -x -d 'Runs kept per job, newest first'
complete -c dagctl -n '__dagctl_at daemon start' -l store -x -a 'sqlite:/// postgresql://' -d 'SQLite file or PostgreSQL URL of the state'

# project add|list|show|update|remove
complete -c dagctl -n '__dagctl_at project' -a add -d 'Register a dbt project folder'
complete -c dagctl -n '__dagctl_at project' -a list -d 'Registered projects'
complete -c dagctl -n '__dagctl_at project' -a show -d 'One project'
complete -c dagctl -n '__dagctl_at project' -a update -d "Change a project's folder, dbt, profiles, target or env"
complete -c dagctl -n '__dagctl_at project' -a remove -d 'Forget a project, its jobs and its run history'
complete -c dagctl -n '__dagctl_at project add' -a '(__fish_complete_directories)' -d 'dbt project folder'
complete -c dagctl -n '__dagctl_at project add' -l name -x -d "Project name (default: the folder's name)"
complete -c dagctl -n '__dagctl_at project add' -l profiles-dir -x -a '(__fish_complete_directories)' -d 'Folder of profiles.yml'
complete -c dagctl -n '__dagctl_at project add' -l target -x -d "dbt target (default: the profile's)"
complete -c dagctl -n '__dagctl_at project add' -l dbt -r -F -d 'dbt executable for this project'
complete -c dagctl -n '__dagctl_at project add' -l type -x -a 'dbt sqlmesh' -d 'dbt or sqlmesh (default: told by the folder)'
complete -c dagctl -n '__dagctl_at project add' -l sqlmesh -r -F -d 'sqlmesh executable of a SQLMesh project'
complete -c dagctl -n '__dagctl_at project add' -l env -x -d 'K=V environment variable for dbt (repeatable)'
complete -c dagctl -n '__dagctl_at project add' -l no-check -d 'Register without the project checks'
complete -c dagctl -n '__dagctl_at project add' -l no-warm -d "Runs always start a fresh dbt, never the project's warm worker"
complete -c dagctl -n '__dagctl_at project add' -l openlineage-url -x -a 'off' -d "Where its runs' OpenLineage events go, or off"
complete -c dagctl -n '__dagctl_at project show; or __dagctl_at project update; or __dagctl_at project remove' -a '(__dagctl_ask project)' -d Project
complete -c dagctl -n '__dagctl_at project update' -l path -x -a '(__fish_complete_directories)' -d 'The folder that holds dbt_project.yml'
complete -c dagctl -n '__dagctl_at project update' -l name -x -d 'New project name'
complete -c dagctl -n '__dagctl_at project update' -l profiles-dir -x -a '(__fish_complete_directories)' -d "Folder of profiles.yml ('' for dbt's own search)"
complete -c dagctl -n '__dagctl_at project update' -l target -x -d "dbt target ('' for the profile's)"
complete -c dagctl -n '__dagctl_at project update' -l dbt -r -F -d "dbt executable ('' for the daemon's)"
complete -c dagctl -n '__dagctl_at project update' -l sqlmesh -r -F -d "sqlmesh executable ('' for the daemon's)"
complete -c dagctl -n '__dagctl_at project update' -l env -x -d 'K=V environment variable for dbt, set or replaced (repeatable)'
complete -c dagctl -n '__dagctl_at project update' -l unset-env -x -d 'Remove environment variable K (repeatable)'
complete -c dagctl -n '__dagctl_at project update' -l warm -x -a 'on off' -d "Whether runs may use the project's warm dbt worker"
complete -c dagctl -n '__dagctl_at project update' -l openlineage-url -x -a 'off' -d "Where its runs' OpenLineage events go, off, or '' for the daemon's"
complete -c dagctl -n '__dagctl_at project update' -l no-check -d 'Change it without the project checks'
complete -c dagctl -n '__dagctl_at project remove' -s y -l yes -d "Do not ask: delete the project's run history"

# job list|show|create|update|delete
complete -c dagctl -n '__dagctl_at job' -a list -d 'Jobs of every project, or of one'
complete -c dagctl -n '__dagctl_at job' -a show -d 'One job'
complete -c dagctl -n '__dagctl_at job' -a create -d 'A new job on a project'
complete -c dagctl -n '__dagctl_at job' -a update -d "Change a job's fields"
complete -c dagctl -n '__dagctl_at job' -a delete -d 'Delete a job (its runs stay in the history)'
complete -c dagctl -n '__dagctl_at job list' -l project -x -a '(__dagctl_ask project)' -d 'Only this project'
complete -c dagctl -n '__dagctl_at job show; or __dagctl_at job update; or __dagctl_at job delete' -a '(__dagctl_ask job)' -d Job
complete -c dagctl -n '__dagctl_at job create' -a '(__dagctl_ask project)' -d Project
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l name -x -d 'Job name'
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l command -x -d "dbt command, e.g. 'dbt build --select tag:nightly'"
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l schedule -x -a "@hourly @daily @midnight @weekly @monthly @yearly @annually ''" -d "Cron expression ('' removes it)"
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l timezone -x -a '(__dagctl_zones)' -d 'IANA time zone of the schedule'
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l timeout -x -d "Seconds before the run is stopped and ends 'error'"
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l enabled -x -a 'true false' -d 'Whether the schedule fires'
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l catchup -x -a 'true false' -d 'One catch-up run after downtime'
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l airflow-assets -x -a 'off http://localhost:8080' -d "Airflow 3's base URL: an asset event per model built ('off' stops)"
complete -c dagctl -n '__dagctl_at job update' -l webhook-url -x -d "URL POSTed when a run ends ('' clears it)"
complete -c dagctl -n '__dagctl_at job update' -l webhook-header -x -d "'Name: value' header (repeatable; '' clears them)"
complete -c dagctl -n '__dagctl_at job update' -l webhook-events -x -a 'completed failed partial cancelled completed,failed' -d "Comma list of events ('' = all)"
complete -c dagctl -n '__dagctl_at job update' -l webhook-enabled -x -a 'true false' -d 'Whether deliveries are sent'
complete -c dagctl -n '__dagctl_at job update' -l webhook-auth -x -a 'none airflow_jwt basic' -d 'How the webhook logs in'
complete -c dagctl -n '__dagctl_at job update' -l webhook-auth-token-url -x -d "Airflow's token URL, http://HOST:PORT/auth/token"
complete -c dagctl -n '__dagctl_at job update' -l webhook-auth-username -x -d 'Airflow user'
complete -c dagctl -n '__dagctl_at job update' -l webhook-auth-password -x -d 'Airflow password (prefer DAGCTL_WEBHOOK_AUTH_PASSWORD)'
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l slack -x -d 'Slack incoming-webhook URL alerted when a run ends'
complete -c dagctl -n '__dagctl_at job create; or __dagctl_at job update' -l slack-events -x -a 'failed,partial completed failed partial cancelled' -d 'Events that alert Slack (default failed,partial)'
complete -c dagctl -n '__dagctl_at job update' -l no-slack -d "Remove the job's Slack notification"

# trigger
complete -c dagctl -n '__dagctl_at trigger' -a '(__dagctl_ask job)' -d Job
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at ls; or __dagctl_at job create; or __dagctl_at job update' -s s -l select -x -d "dbt selector appended to the job's command"
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at ls; or __dagctl_at job create; or __dagctl_at job update' -l exclude -x -d "dbt exclusion appended to the job's command"
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at ls; or __dagctl_at job create; or __dagctl_at job update' -l selector -x -d "A selector of the project's selectors.yml"
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at job create; or __dagctl_at job update' -l vars -x -d "dbt --vars: YAML such as '{days: 7}'"
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at job create; or __dagctl_at job update' -l target -x -d "dbt --target: a target of the project's profile"
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at job create; or __dagctl_at job update' -l threads -x -d 'dbt --threads: nodes run at once'
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at job create; or __dagctl_at job update' -l full-refresh -d 'dbt --full-refresh'
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at job create; or __dagctl_at job update' -l defer-to-last-success -d "dbt --defer with the state of the job's newest successful run"
complete -c dagctl -n '__dagctl_at ls' -a '(__dagctl_ask job)' -d Job
complete -c dagctl -n '__dagctl_at ls' -l resource-type -x -a 'model test unit_test seed snapshot source analysis exposure metric semantic_model saved_query function' -d 'Only nodes of this dbt resource type'
complete -c dagctl -n '__dagctl_at trigger' -l command -x -d "Run this command instead of the job's (dbt or sqlmesh)"
complete -c dagctl -n '__dagctl_at trigger' -l wait -d 'Follow the run to its end; exit status per run status'
complete -c dagctl -n '__dagctl_at trigger' -s q -l quiet -d 'With --wait: print nothing on success'
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at retry' -l allow-empty -d 'With --wait: exit 0 when nothing was selected'
complete -c dagctl -n '__dagctl_at trigger; or __dagctl_at retry' -l detach -d 'With --wait: Ctrl-C stops waiting, the run goes on'

# runs, run show, logs, cancel, retry
complete -c dagctl -n '__dagctl_at runs' -l job -x -a '(__dagctl_ask job)' -d 'Only runs of this job'
complete -c dagctl -n '__dagctl_at runs' -l project -x -a '(__dagctl_ask project)' -d 'Only runs of this project'
complete -c dagctl -n '__dagctl_at runs' -l status -x -a 'queued running success partial failed error cancelled' -d 'Only runs with these statuses (a comma list)'
complete -c dagctl -n '__dagctl_at runs' -l since -x -a '1h 24h 7d 30d' -d 'Only runs created since (24h, 7d, 2026-12-01, RFC 3339)'
complete -c dagctl -n '__dagctl_at runs' -l until -x -a '1h 24h 7d 30d' -d 'Only runs created before (2h, 7d, 2026-12-01, RFC 3339)'
complete -c dagctl -n '__dagctl_at runs' -l trigger -x -a 'manual schedule retry' -d 'Only runs started this way (a comma list)'
complete -c dagctl -n '__dagctl_at runs' -l limit -x -d 'How many (1-1000)'
complete -c dagctl -n '__dagctl_at runs' -l before -x -a '(__dagctl_ask run)' -d 'Only runs older than this run (the next page)'
complete -c dagctl -n '__dagctl_at run' -a show -d "A run's status, times, command and results"
complete -c dagctl -n '__dagctl_at run' -a artifacts -d "List a run's dbt artifacts, or write one out"
complete -c dagctl -n '__dagctl_at run show' -l nodes -d "The run's dbt nodes: status, duration, thread, message"
complete -c dagctl -n '__dagctl_at run show' -l status -x -a 'success error fail warn pass skipped no-op running interrupted' -d 'With --nodes: only nodes with these statuses (a comma list)'
complete -c dagctl -n '__dagctl_at run artifacts' -s O -l output-file -r -F -d 'Write NAME to this file (- for stdout)'
complete -c dagctl -n '__dagctl_at run artifacts' -l force -d 'Replace the -O file when it exists'
complete -c dagctl -n '__dagctl_at run show; or __dagctl_at run artifacts; or __dagctl_at logs; or __dagctl_at watch; or __dagctl_at cancel; or __dagctl_at retry' -a '(__dagctl_ask run)' -d Run
complete -c dagctl -n '__dagctl_at logs' -s f -l follow -d 'Keep printing until the run ends'
complete -c dagctl -n '__dagctl_at retry' -l wait -d 'Follow the retry to its end'
complete -c dagctl -n '__dagctl_at retry; or __dagctl_at watch' -s q -l quiet -d 'Print nothing on success'
complete -c dagctl -n '__dagctl_at watch' -l allow-empty -d 'Exit 0 when nothing was selected'

# token create|list|revoke
complete -c dagctl -n '__dagctl_at token' -a create -d 'A new token; its secret is shown once'
complete -c dagctl -n '__dagctl_at token' -a list -d 'Tokens (never their secrets)'
complete -c dagctl -n '__dagctl_at token' -a revoke -d 'Stop a token from working'
complete -c dagctl -n '__dagctl_at token create' -l name -x -d 'What it is for, e.g. airflow-prod'
complete -c dagctl -n '__dagctl_at token create' -l expires-in -x -d 'Days until it stops working'
complete -c dagctl -n '__dagctl_at token create' -l scope -x -a 'read trigger admin' -d 'What it may do (default: trigger)'
complete -c dagctl -n '__dagctl_at token revoke' -a '(__dagctl_ask token)' -d Token

# webhook secret|deliveries|redeliver|test
complete -c dagctl -n '__dagctl_at webhook' -a secret -d "The job's signing secret"
complete -c dagctl -n '__dagctl_at webhook' -a deliveries -d "The job's webhook deliveries"
complete -c dagctl -n '__dagctl_at webhook' -a redeliver -d 'Send a delivery again'
complete -c dagctl -n '__dagctl_at webhook' -a test -d 'Send a job.test event'
complete -c dagctl -n '__dagctl_at webhook secret; or __dagctl_at webhook deliveries; or __dagctl_at webhook test' -a '(__dagctl_ask job)' -d Job
complete -c dagctl -n '__dagctl_at webhook deliveries' -l limit -x -d 'How many (1-1000)'
complete -c dagctl -n '__dagctl_at webhook secret' -l rotate -d 'Replace it with a new secret and print that'
complete -c dagctl -n '__dagctl_at webhook test' -l slack -d "A test message to the job's Slack notification"

# dagctld
complete -c dagctld -f
complete -c dagctld -s h -l help -d 'Print help and exit'
complete -c dagctld -l version -d 'Print version and exit'
complete -c dagctld -l data-dir -x -a '(__fish_complete_directories)' -d 'Where the database and run folders live (DAGCTL_DATA_DIR)'
complete -c dagctld -l socket -r -F -d 'The Unix socket the CLI talks to (DAGCTL_SOCKET)'
complete -c dagctld -l listen -x -a '127.0.0.1:8780 127.0.0.1:0 none' -d 'HOST:PORT for the REST API, or none (DAGCTL_LISTEN)'
complete -c dagctld -l allow-remote -d 'Allow --listen on a non-loopback address (DAGCTL_ALLOW_REMOTE)'
complete -c dagctld -l store -x -a 'sqlite:/// postgresql://' -d 'Where the state lives: SQLite file or PostgreSQL URL (DAGCTL_STORE)'
complete -c dagctld -l metrics-listen -x -a '127.0.0.1:9780 127.0.0.1:0 none' -d 'Loopback HOST:PORT serving /metrics without a token (DAGCTL_METRICS_LISTEN)'
complete -c dagctld -l dbt -r -F -d 'dbt executable for projects that name none (DAGCTL_DBT)'
complete -c dagctld -l sqlmesh -r -F -d 'sqlmesh executable for SQLMesh projects that name none (DAGCTL_SQLMESH)'
complete -c dagctld -l max-parallel -x -d 'Runs at once across all projects (DAGCTL_MAX_PARALLEL)'
complete -c dagctld -l log-level -x -a 'trace debug info warn error critical off' -d 'How much to log (DAGCTL_LOG_LEVEL)'
complete -c dagctld -l stop-grace -x -d 'Seconds between SIGINT, SIGTERM and SIGKILL (DAGCTL_STOP_GRACE)'
complete -c dagctld -l webhook-ca-file -r -F -d 'PEM file of an extra CA for https webhooks'
complete -c dagctld -l webhook-retries -x -d 'Retries of a webhook (DAGCTL_WEBHOOK_RETRIES)'
complete -c dagctld -l webhook-retry-delay -x -d 'Seconds before a webhook retry'
complete -c dagctld -l webhook-timeout -x -d 'Seconds a webhook receiver has to answer'
complete -c dagctld -l allow-webhook-link-local -d 'Allow webhook URLs on link-local and cloud metadata addresses (DAGCTL_ALLOW_WEBHOOK_LINK_LOCAL)'
complete -c dagctld -l keep-days -x -d 'Prune finished runs older than this many days (DAGCTL_KEEP_DAYS)'
complete -c dagctld -l keep-runs -x -d 'Runs kept per job, newest first (DAGCTL_KEEP_RUNS)'
complete -c dagctld -l sandbox -x -a 'auto on off' -d 'Run dbt in a bubblewrap sandbox (DAGCTL_SANDBOX)'
complete -c dagctld -l sandbox-writable -x -a '(__fish_complete_directories)' -d 'A folder sandboxed runs may write (DAGCTL_SANDBOX_WRITABLE)'
complete -c dagctld -l pass-env -x -a '(set -xn)' -d 'A variable of the daemon that dbt gets too (DAGCTL_PASS_ENV)'
complete -c dagctld -l warm -x -a 'on off' -d 'Run dbt in a warm worker per project (DAGCTL_WARM)'
complete -c dagctld -l warm-idle -x -a '5m 30m 1h' -d 'How long an unused warm worker waits before it exits (DAGCTL_WARM_IDLE)'
complete -c dagctld -l openlineage-url -x -d 'Send OpenLineage events of every run to this URL (DAGCTL_OPENLINEAGE_URL)'
complete -c dagctld -l openlineage-namespace -x -d 'The OpenLineage job namespace, default dagctl (DAGCTL_OPENLINEAGE_NAMESPACE)'
complete -c dagctld -l config -r -F -d 'Config file of key = value lines (DAGCTL_CONFIG)'
