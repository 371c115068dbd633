;; A module that sends and then traps (faulty.json).
;;
;; send_then_trap: sends "doomed" to "logger", writes the key "tried",
;;   then traps (unreachable): the message and the write are dropped.
;; send_ok: sends "fine" to "logger".
(module
  (import "session" "send" (func $send (param i64 i64 i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "logger")
  (data (i32.const 8) "doomed")
  (data (i32.const 16) "fine")
  (data (i32.const 24) "tried")
  (func (export "send_then_trap")
    (call $send (i64.const 6) (i64.const 0) (i64.const 6) (i64.const 8))
    (drop (call $storage_write (i64.const 5) (i64.const 24) (i64.const 0) (i64.const 0) (i64.const 0)))
    (unreachable))
  (func (export "send_ok")
    (call $send (i64.const 6) (i64.const 0) (i64.const 4) (i64.const 16))))
