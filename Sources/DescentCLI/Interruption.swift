// SIGINT / SIGTERM: the first asks the trainer to stop after the current step (it then writes a
// checkpoint); a second one exits at once. SQLite's transactions keep the database consistent
// either way.

import Foundation
import Synchronization

let signalCount = Atomic<Int>(0)

enum Interruption {
    static func install() {
        signalCount.store(0, ordering: .relaxed)
        for number in [SIGINT, SIGTERM] {
            signal(number) { _ in
                // Only async-signal-safe work here: an atomic add, and _exit.
                if signalCount.add(1, ordering: .relaxed).oldValue >= 1 { _exit(130) }
            }
        }
    }

    static var isRequested: Bool { signalCount.load(ordering: .relaxed) > 0 }

    static func restoreDefaults() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
