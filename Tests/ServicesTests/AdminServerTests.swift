import Foundation
import Testing

@testable import Services

/// ``AdminServer``: the admin API's HTTP server formats its `Date` header per response (no
/// once-a-second date task). Checked against RFC 9110's own example and Foundation's formatter.
@Suite struct AdminServerTests {
    @Test func httpDateIsTheIMFFixdateOfRFC9110() {
        #expect(AdminServer.httpDate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(AdminServer.httpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for seconds in [951_782_400, 1_709_210_096, 4_102_444_799, 1_234_567_890] {
            #expect(AdminServer.httpDate(time_t(seconds)) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
        }
    }
}
