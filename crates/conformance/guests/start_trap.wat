;; A start function that logs and traps: the trap is the call's trap.
(module
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "start")
  (func $start
    (call $log (i64.const 5) (i64.const 0))
    unreachable)
  (start $start)
  (func (export "main")))
