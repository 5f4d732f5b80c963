-- Fail on demand, read at evaluation time (macros/flags.py): blocking and non-blocking.
AUDIT (name fail_on_demand);
SELECT * FROM @this_model WHERE @env_flag('DAGCTL_EXAMPLE_FAIL_AUDIT');

AUDIT (name warn_on_demand, blocking false);
SELECT * FROM @this_model WHERE @env_flag('DAGCTL_EXAMPLE_WARN_AUDIT')
