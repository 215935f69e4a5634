"""The array layer: engines (the array library a fit runs on), kernels (the hot inner
loops) and the linear algebra they share. It imports nothing else of nmfkit."""
