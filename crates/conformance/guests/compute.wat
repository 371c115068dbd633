;; Pure-wasm computation: a sieve of Eratosthenes and Fibonacci numbers.
;; Every export takes a u32 (4 bytes, little-endian) as its input and
;; returns a u64 (8 bytes, little-endian); an input of another length
;; panics "input must be 4 bytes".
;;
;;   count_primes   the number of primes p <= n (n at most 1 000 000, else
;;                  a panic "n too large"); the sieve is one byte per number
;;                  at 1024
;;   fib            F(n) mod 2^64, iteratively (F(0) = 0, F(1) = 1)
;;   fib_recursive  F(n) by the naive doubly recursive definition (n at most
;;                  30, else "n too large")
(module
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (memory (export "memory") 17)
  (data (i32.const 0) "input must be 4 bytesn too large")

  (func $arg (result i32)
    (call $input (i64.const 0))
    (if (i64.ne (call $register_len (i64.const 0)) (i64.const 4))
      (then (call $panic (i64.const 21) (i64.const 0))))
    (call $read_register (i64.const 0) (i64.const 64))
    (i32.load (i32.const 64)))

  (func $too_large
    (call $panic (i64.const 11) (i64.const 21)))

  (func $ret (param $v i64)
    (i64.store (i32.const 72) (local.get $v))
    (call $value_return (i64.const 8) (i64.const 72)))

  (func (export "count_primes")
    (local $n i32) (local $i i32) (local $j i32) (local $count i64)
    (local.set $n (call $arg))
    (if (i32.gt_u (local.get $n) (i32.const 1000000)) (then (call $too_large)))
    ;; Cross out the multiples of every i with i * i <= n.
    (local.set $i (i32.const 2))
    (block $done
      (loop $outer
        (br_if $done (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
        (if (i32.eqz (i32.load8_u offset=1024 (local.get $i)))
          (then
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $jdone
              (loop $inner
                (br_if $jdone (i32.gt_u (local.get $j) (local.get $n)))
                (i32.store8 offset=1024 (local.get $j) (i32.const 1))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $inner)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    ;; Count what is left in 2..=n.
    (local.set $i (i32.const 2))
    (block $cdone
      (loop $c
        (br_if $cdone (i32.gt_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.load8_u offset=1024 (local.get $i)))
          (then (local.set $count (i64.add (local.get $count) (i64.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $c)))
    (call $ret (local.get $count)))

  (func (export "fib")
    (local $n i32) (local $a i64) (local $b i64) (local $t i64)
    (local.set $n (call $arg))
    (local.set $b (i64.const 1))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (call $ret (local.get $a)))

  (func $fib_rec (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else
        (i64.add
          (call $fib_rec (i32.sub (local.get $n) (i32.const 1)))
          (call $fib_rec (i32.sub (local.get $n) (i32.const 2)))))))

  (func (export "fib_recursive")
    (local $n i32)
    (local.set $n (call $arg))
    (if (i32.gt_u (local.get $n) (i32.const 30)) (then (call $too_large)))
    (call $ret (call $fib_rec (local.get $n))))
)
