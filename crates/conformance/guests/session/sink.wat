;; A receiver of the fan-out example (fanout.json).
;;
;; on_message: receives a message, emits it as the event "got" and returns
;;   it; counts the messages in its storage ("received", 8 bytes
;;   little-endian).
(module
  (import "session" "recv" (func $recv (param i64 i64) (result i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "emit_event" (func $emit_event (param i64 i64 i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  ;; 0..8 the count, 16.. "received", 24.. "got", 1024.. the data
  (data (i32.const 16) "received")
  (data (i32.const 24) "got")
  (func (export "on_message")
    (if (i64.eqz (call $recv (i64.const 0) (i64.const 1)))
      (then (return)))
    (call $read_register (i64.const 1) (i64.const 1024))
    (call $emit_event (i64.const 3) (i64.const 24) (call $register_len (i64.const 1)) (i64.const 1024))
    (call $value_return (call $register_len (i64.const 1)) (i64.const 1024))
    (i64.store (i32.const 0) (i64.const 0))
    (if (i32.wrap_i64 (call $storage_read (i64.const 8) (i64.const 16) (i64.const 2)))
      (then (call $read_register (i64.const 2) (i64.const 0))))
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
    (drop (call $storage_write (i64.const 8) (i64.const 16) (i64.const 8) (i64.const 0) (i64.const 2)))))
