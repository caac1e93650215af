# Toolchain for the firmware build: Debian's gcc-arm-none-eabi and newlib-nano, Cortex-M4F
# with the single-precision FPU, hard float. Selected by scripts/firmware.sh:
#   cmake -S . -B build-fw -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
# which also turns PLC_FIRMWARE on (only the portable core and the board are built).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_SIZE arm-none-eabi-size)
# no host library or header may leak in (pkg-config would find the host's fftw3f)
set(CMAKE_FIND_ROOT_PATH /usr/lib/arm-none-eabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(PLC_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
set(CMAKE_C_FLAGS_INIT "${PLC_CPU_FLAGS} -ffunction-sections -fdata-sections -Wdouble-promotion")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${PLC_CPU_FLAGS} --specs=nano.specs -nostartfiles -Wl,--gc-sections")
set(PLC_FIRMWARE ON CACHE BOOL "firmware build: the portable core and the board" FORCE)
