;; hostile.wat — a module that grows memory to the 4 GiB limit, reads past
;; it, recurses without bound and loops forever (tests/vm/CMakeLists.txt).
(module
  (memory 1)
  ;; grow to 65536 pages, write and read the very last byte: 65536 + 7
  (func (export "grow") (result i32)
    (drop (memory.grow (i32.const 65535)))
    (i32.store8 (i32.const -1) (i32.const 7))
    (i32.add (memory.size) (i32.load8_u (i32.const -1))))
  ;; one more page is refused
  (func (export "grow_more") (result i32)
    (drop (memory.grow (i32.const 65535)))
    (memory.grow (i32.const 1)))
  ;; an access that straddles the end of a 1-page memory
  (func (export "oob") (result i32)
    (i32.load offset=1 (i32.const 65532)))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "spin") (loop (br 0))))
