;; A lottery: randomness from random_bytes (the seed's keystream) and the
;; time from time_now, never the wall clock.
;;
;;   draw      16 random bytes stored under "draw/" + time (8 bytes, little-
;;             endian); the event "draw" with time || bytes (24 bytes),
;;             which is also the return data
;;   shuffle   a deck 0..51 shuffled by Fisher-Yates: for i from 51 down to
;;             1, 4 random bytes as a little-endian u32 r, j = r mod (i + 1),
;;             swap deck[i] and deck[j]; returns the 52 bytes
;;   tickets   input n (1 byte): n tickets of 7 random bytes each, one
;;             random_bytes call per ticket; returns the 7n bytes
;;
;; Memory: "draw/" at 0, the time at 5, the bytes at 13; "draw" at 100;
;; the deck at 200; a random word at 300; tickets from 1024.
(module
  (import "env" "random_bytes" (func $random (param i64 i64)))
  (import "env" "time_now" (func $time_now (result i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "emit_event" (func $event (param i64 i64 i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "draw/")
  (data (i32.const 100) "draw")
  (data (i32.const 110) "input must be 1 byte")

  ;; One basic block: 15 simple, 1 store, 5 calls.
  (func (export "draw")
    (i64.store (i32.const 5) (call $time_now))
    (call $random (i64.const 16) (i64.const 13))
    (drop (call $write (i64.const 13) (i64.const 0) (i64.const 16) (i64.const 13) (i64.const 0)))
    (call $event (i64.const 4) (i64.const 100) (i64.const 24) (i64.const 5))
    (call $value_return (i64.const 24) (i64.const 5)))

  (func (export "shuffle")
    (local $i i32) (local $j i32) (local $t i32)
    (block $filled
      (loop $fill
        (br_if $filled (i32.eq (local.get $i) (i32.const 52)))
        (i32.store8 offset=200 (local.get $i) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 51))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $i)))
        (call $random (i64.const 4) (i64.const 300))
        (local.set $j (i32.rem_u (i32.load (i32.const 300)) (i32.add (local.get $i) (i32.const 1))))
        (local.set $t (i32.load8_u offset=200 (local.get $i)))
        (i32.store8 offset=200 (local.get $i) (i32.load8_u offset=200 (local.get $j)))
        (i32.store8 offset=200 (local.get $j) (local.get $t))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $l)))
    (call $value_return (i64.const 52) (i64.const 200)))

  (func (export "tickets")
    (local $n i64) (local $i i64)
    (call $input (i64.const 0))
    (if (i64.ne (call $register_len (i64.const 0)) (i64.const 1))
      (then (call $panic (i64.const 20) (i64.const 110))))
    (call $read_register (i64.const 0) (i64.const 400))
    (local.set $n (i64.load8_u (i32.const 400)))
    (block $done
      (loop $l
        (br_if $done (i64.eq (local.get $i) (local.get $n)))
        (call $random (i64.const 7) (i64.add (i64.const 1024) (i64.mul (local.get $i) (i64.const 7))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $l)))
    (call $value_return (i64.mul (local.get $n) (i64.const 7)) (i64.const 1024)))
)
