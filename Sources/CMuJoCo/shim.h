// MuJoCo 2.2.2 from Debian ships no pkg-config file; its headers live in /usr/include/mujoco.
#include <mujoco/mujoco.h>
