;; sha256, random_bytes, time_now, gas_left.
(module
  (import "env" "sha256" (func $sha256 (param i64 i64 i64)))
  (import "env" "random_bytes" (func $random (param i64 i64)))
  (import "env" "time_now" (func $time_now (result i64)))
  (import "env" "gas_left" (func $gas_left (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "abc")

  ;; Returns sha256("abc").
  (func (export "sha256_abc")
    (call $sha256 (i64.const 3) (i64.const 0) (i64.const 4))
    (call $read_register (i64.const 4) (i64.const 64))
    (call $value_return (i64.const 32) (i64.const 64)))

  ;; Returns sha256 of the input.
  (func (export "sha256_input")
    (call $input (i64.const 0))
    (call $read_register (i64.const 0) (i64.const 1024))
    (call $sha256 (call $register_len (i64.const 0)) (i64.const 1024) (i64.const 1))
    (call $read_register (i64.const 1) (i64.const 64))
    (call $value_return (i64.const 32) (i64.const 64)))

  ;; 3 + 13 + 16 random bytes: the first 32 bytes of the seed's keystream.
  (func (export "random_32")
    (call $random (i64.const 3) (i64.const 100))
    (call $random (i64.const 13) (i64.const 103))
    (call $random (i64.const 16) (i64.const 116))
    (call $value_return (i64.const 32) (i64.const 100)))

  (func (export "random_out_of_bounds")
    (call $random (i64.const 2) (i64.const 65535)))

  (func (export "time")
    (i64.store (i32.const 8) (call $time_now))
    (call $value_return (i64.const 8) (i64.const 8)))

  (func (export "gas")
    (i64.store (i32.const 8) (call $gas_left))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; Calls time_now until the gas runs out.
  (func (export "burn_gas")
    (loop $next
      (drop (call $time_now))
      (br $next)))
)
