;; The "ping" half of the ping-pong pair (pingpong.json): counts to N.
;;
;; start: input N (little-endian, 1 to 8 bytes); keeps N as "target" in its
;;   storage and sends the count 1 (8 bytes, little-endian) to "pong".
;; on_message: receives a count c (pong echoes it), keeps it as "count";
;;   if c < N sends c + 1 back to the sender, else emits the event "done"
;;   with c.
(module
  (import "session" "send" (func $send (param i64 i64 i64 i64)))
  (import "session" "recv" (func $recv (param i64 i64) (result i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64 i64) (result i64)))
  (import "env" "emit_event" (func $emit_event (param i64 i64 i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (memory (export "memory") 1)
  ;; 0..8 the count, 8..16 the target, 200.. the sender's name
  (data (i32.const 16) "pong")
  (data (i32.const 24) "target")
  (data (i32.const 32) "count")
  (data (i32.const 40) "done")
  (data (i32.const 48) "input: 1 to 8 bytes")
  (func (export "start")
    (local $len i64)
    (call $input (i64.const 0))
    (local.set $len (call $register_len (i64.const 0)))
    (if (i32.or (i64.eqz (local.get $len)) (i64.gt_u (local.get $len) (i64.const 8)))
      (then (call $panic (i64.const 19) (i64.const 48))))
    (i64.store (i32.const 0) (i64.const 0))
    (call $read_register (i64.const 0) (i64.const 0))
    (drop (call $storage_write (i64.const 6) (i64.const 24) (i64.const 8) (i64.const 0) (i64.const 1)))
    (i64.store (i32.const 0) (i64.const 1))
    (call $send (i64.const 4) (i64.const 16) (i64.const 8) (i64.const 0)))
  (func (export "on_message")
    (if (i64.eqz (call $recv (i64.const 0) (i64.const 1)))
      (then (return)))
    (call $read_register (i64.const 1) (i64.const 0))
    (drop (call $storage_write (i64.const 5) (i64.const 32) (i64.const 8) (i64.const 0) (i64.const 2)))
    (drop (call $storage_read (i64.const 6) (i64.const 24) (i64.const 2)))
    (call $read_register (i64.const 2) (i64.const 8))
    (if (i64.lt_u (i64.load (i32.const 0)) (i64.load (i32.const 8)))
      (then
        (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
        (call $read_register (i64.const 0) (i64.const 200))
        (call $send (call $register_len (i64.const 0)) (i64.const 200) (i64.const 8) (i64.const 0)))
      (else
        (call $emit_event (i64.const 4) (i64.const 40) (i64.const 8) (i64.const 0))))))
