;; Logs, events and panics. Memory: "hello" at 0, "transfer" at 5,
;; 00 ff at 13, an invalid UTF-8 byte ff at 15, "boom" at 16.
(module
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (import "env" "emit_event" (func $event (param i64 i64 i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hellotransfer\00\ff\ffboom")

  (func (export "hello")
    (call $log (i64.const 5) (i64.const 0)))

  (func (export "log_bad_utf8")
    (call $log (i64.const 5) (i64.const 0))
    (call $log (i64.const 1) (i64.const 15)))

  ;; Logs "hello" until a limit stops it.
  (func (export "log_forever")
    (loop $next
      (call $log (i64.const 5) (i64.const 0))
      (br $next)))

  (func (export "transfer")
    (call $event (i64.const 8) (i64.const 5) (i64.const 2) (i64.const 13))
    (call $log (i64.const 5) (i64.const 0)))

  (func (export "event_bad_utf8_kind")
    (call $event (i64.const 1) (i64.const 15) (i64.const 0) (i64.const 0)))

  ;; Emits events until a limit stops it.
  (func (export "event_forever")
    (loop $next
      (call $event (i64.const 8) (i64.const 5) (i64.const 2) (i64.const 13))
      (br $next)))

  ;; Kind "transfer" (8) and data "hello" (5): 13 bytes together.
  (func (export "event_13_bytes")
    (call $event (i64.const 8) (i64.const 5) (i64.const 5) (i64.const 0)))

  ;; An event and a return value, then a trap: only the log survives.
  (func (export "event_then_trap")
    (call $event (i64.const 8) (i64.const 5) (i64.const 2) (i64.const 13))
    (call $log (i64.const 5) (i64.const 0))
    (call $value_return (i64.const 5) (i64.const 0))
    unreachable)

  (func (export "panic")
    (call $log (i64.const 5) (i64.const 0))
    (call $panic (i64.const 4) (i64.const 16)))

  (func (export "panic_empty")
    (call $panic (i64.const 0) (i64.const 0)))

  (func (export "panic_bad_utf8")
    (call $panic (i64.const 2) (i64.const 14)))

  (func (export "panic_out_of_bounds")
    (call $panic (i64.const 2) (i64.const 65535)))

  ;; value_return twice: the later one counts.
  (func (export "return_twice")
    (call $value_return (i64.const 8) (i64.const 5))
    (call $value_return (i64.const 5) (i64.const 0)))
)
