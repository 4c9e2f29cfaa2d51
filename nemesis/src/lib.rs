//! The fault vocabulary and schedules: pure data that says *what* goes wrong
//! and *when*. The simulator (`shakedown-sim`) says *how*.
