;; startsync — a hostile module whose start function (run while the kernel
;; instantiates it, before the domain's thread loop) calls toy.sync and
;; toy.park. Both must refuse with TOY_ERR_BUSY (-8) rather than stop a
;; vm that is not running yet; anything else traps (unreachable). _start
;; then exits with status 0.
(module
  (import "toy" "sync" (func $sync (result i64)))
  (import "toy" "park" (func $park (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $init
    (if (i64.ne (call $sync) (i64.const -8)) (then unreachable))
    (if (i32.ne (call $park) (i32.const -8)) (then unreachable)))
  (start $init)
  (func (export "_start") (call $exit (i32.const 0))))
