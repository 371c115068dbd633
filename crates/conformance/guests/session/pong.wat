;; The "pong" half of the ping-pong pair (pingpong.json).
;;
;; on_message: receives a message and sends its data back to the sender;
;;   counts the echoes in its storage ("echoes", 8 bytes little-endian).
(module
  (import "session" "send" (func $send (param i64 i64 i64 i64)))
  (import "session" "recv" (func $recv (param i64 i64) (result i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  ;; 0..8 the echo count, 16.. "echoes", 100.. the sender, 1024.. the data
  (data (i32.const 16) "echoes")
  (func (export "on_message")
    (if (i64.eqz (call $recv (i64.const 0) (i64.const 1)))
      (then (return)))
    (call $read_register (i64.const 0) (i64.const 100))
    (call $read_register (i64.const 1) (i64.const 1024))
    (i64.store (i32.const 0) (i64.const 0))
    (if (i32.wrap_i64 (call $storage_read (i64.const 6) (i64.const 16) (i64.const 2)))
      (then (call $read_register (i64.const 2) (i64.const 0))))
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
    (drop (call $storage_write (i64.const 6) (i64.const 16) (i64.const 8) (i64.const 0) (i64.const 2)))
    (call $send
      (call $register_len (i64.const 0)) (i64.const 100)
      (call $register_len (i64.const 1)) (i64.const 1024))))
