;; A start function that writes storage and memory before the call runs.
(module
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "sv")
  (func $start
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
    (i32.store8 (i32.const 2) (i32.const 42)))
  (start $start)
  (func (export "main")
    (call $value_return (i64.const 1) (i64.const 2))))
