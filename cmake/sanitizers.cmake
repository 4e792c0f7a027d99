# SLOE_SANITIZE=address builds everything with ASan and UBSan, =thread with TSan.
if(SLOE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(SLOE_SANITIZE STREQUAL "thread")
  # -Wno-tsan: Asio uses std::atomic_thread_fence, which TSan does not model; it is not ours.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
elseif(NOT SLOE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SLOE_SANITIZE must be empty, 'address' or 'thread', not '${SLOE_SANITIZE}'")
endif()
