#pragma once
// Signals as file descriptors: the signals are blocked in every thread (call this before
// any thread starts) and read from a signalfd that the event loop watches, so handling a
// signal is ordinary loop work rather than async-signal-unsafe handler code.

#include <initializer_list>

namespace agora {

int blockSignalsToFd(std::initializer_list<int> signals);

// The signal number read from `fd`, or 0 when none was pending.
int readSignal(int fd);

}  // namespace agora
