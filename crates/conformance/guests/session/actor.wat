;; The corpus's session guest: loaded under several names, it sends what
;; its input says and handles messages in several ways
;; (crates/conformance/src/session/cases.rs).
;;
;; send_input: the input is a sequence of records [to_len u8][to][data_len
;;   u8][data]; sends each data to its receiver, in order.
;; send_then_trap: send_input, then writes the key "k", then traps.
;; on_message: receives one message and returns its data (nothing if the
;;   mailbox is empty).
;; sender: receives one message and returns its sender's name.
;; ignore: returns without receiving.
;; recv_trap: receives one message, then traps.
;; drain: receives every waiting message; returns their data concatenated.
;; pending: returns the number of waiting messages (8 bytes little-endian).
;; write: sets the key "k" to the input.
;; read: returns the value of "k" (nothing if absent).
(module
  (import "session" "send" (func $send (param i64 i64 i64 i64)))
  (import "session" "recv" (func $recv (param i64 i64) (result i64)))
  (import "session" "pending" (func $pending (result i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64 i64) (result i64)))
  (memory (export "memory") 2)
  ;; 0.. "k"; 1024.. the input; 65536.. received data
  (data (i32.const 0) "k")
  (func $send_input
    (local $p i32) (local $end i32) (local $to_len i32) (local $data_len i32)
    (call $input (i64.const 0))
    (local.set $end (i32.add (i32.const 1024) (i32.wrap_i64 (call $register_len (i64.const 0)))))
    (call $read_register (i64.const 0) (i64.const 1024))
    (local.set $p (i32.const 1024))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $to_len (i32.load8_u (local.get $p)))
        (local.set $data_len
          (i32.load8_u (i32.add (local.get $p) (i32.add (local.get $to_len) (i32.const 1)))))
        (call $send
          (i64.extend_i32_u (local.get $to_len))
          (i64.extend_i32_u (i32.add (local.get $p) (i32.const 1)))
          (i64.extend_i32_u (local.get $data_len))
          (i64.extend_i32_u (i32.add (local.get $p) (i32.add (local.get $to_len) (i32.const 2)))))
        (local.set $p
          (i32.add (local.get $p)
            (i32.add (i32.add (local.get $to_len) (local.get $data_len)) (i32.const 2))))
        (br $next))))
  (func (export "send_input") (call $send_input))
  (func (export "send_then_trap")
    (call $send_input)
    (drop (call $storage_write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 9)))
    (unreachable))
  (func (export "on_message")
    (if (i32.wrap_i64 (call $recv (i64.const 0) (i64.const 1)))
      (then
        (call $read_register (i64.const 1) (i64.const 65536))
        (call $value_return (call $register_len (i64.const 1)) (i64.const 65536)))))
  (func (export "sender")
    (if (i32.wrap_i64 (call $recv (i64.const 0) (i64.const 1)))
      (then
        (call $read_register (i64.const 0) (i64.const 65536))
        (call $value_return (call $register_len (i64.const 0)) (i64.const 65536)))))
  (func (export "ignore"))
  (func (export "recv_trap")
    (drop (call $recv (i64.const 0) (i64.const 1)))
    (unreachable))
  (func (export "drain")
    (local $at i64)
    (local.set $at (i64.const 65536))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (call $recv (i64.const 0) (i64.const 1))))
        (call $read_register (i64.const 1) (local.get $at))
        (local.set $at (i64.add (local.get $at) (call $register_len (i64.const 1))))
        (br $next)))
    (call $value_return (i64.sub (local.get $at) (i64.const 65536)) (i64.const 65536)))
  (func (export "pending")
    (i64.store (i32.const 8) (call $pending))
    (call $value_return (i64.const 8) (i64.const 8)))
  (func (export "write")
    (call $input (i64.const 0))
    (call $read_register (i64.const 0) (i64.const 1024))
    (drop (call $storage_write
      (i64.const 1) (i64.const 0)
      (call $register_len (i64.const 0)) (i64.const 1024)
      (i64.const 9))))
  (func (export "read")
    (if (i32.wrap_i64 (call $storage_read (i64.const 1) (i64.const 0) (i64.const 2)))
      (then
        (call $read_register (i64.const 2) (i64.const 1024))
        (call $value_return (call $register_len (i64.const 2)) (i64.const 1024))))))
