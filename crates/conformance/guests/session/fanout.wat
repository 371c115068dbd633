;; The hub of the fan-out example (fanout.json).
;;
;; broadcast: input a comma-separated list of receiver names; sends each
;;   one the message "hello <name>", in list order.
(module
  (import "session" "send" (func $send (param i64 i64 i64 i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (memory (export "memory") 1)
  ;; 0.. "hello " then the name (the message), 4096.. the input
  (data (i32.const 0) "hello ")
  (func $send_to (param $start i32) (param $end i32)
    (memory.copy (i32.const 6) (local.get $start) (i32.sub (local.get $end) (local.get $start)))
    (call $send
      (i64.extend_i32_u (i32.sub (local.get $end) (local.get $start)))
      (i64.extend_i32_u (local.get $start))
      (i64.extend_i32_u (i32.add (i32.const 6) (i32.sub (local.get $end) (local.get $start))))
      (i64.const 0)))
  (func (export "broadcast")
    (local $p i32) (local $start i32) (local $end i32)
    (call $input (i64.const 0))
    (local.set $end (i32.add (i32.const 4096) (i32.wrap_i64 (call $register_len (i64.const 0)))))
    (call $read_register (i64.const 0) (i64.const 4096))
    (local.set $p (i32.const 4096))
    (local.set $start (i32.const 4096))
    (block $done
      (loop $next
        (if (i32.or (i32.eq (local.get $p) (local.get $end))
                    (i32.eq (i32.load8_u (local.get $p)) (i32.const 44)))
          (then
            (call $send_to (local.get $start) (local.get $p))
            (br_if $done (i32.eq (local.get $p) (local.get $end)))
            (local.set $start (i32.add (local.get $p) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))))
