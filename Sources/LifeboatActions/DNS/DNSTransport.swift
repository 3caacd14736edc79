import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LifeboatCore
import LifeboatDNS
import NIOCore
import NIOPosix

/// Why an exchange with a DNS server produced no usable answer.
enum DNSTransportError: Error, Sendable, Equatable {
    /// No answer within the per-try timeout, on every try; `overTCP` when the message went over TCP.
    case timeout(tries: Int, overTCP: Bool)
    /// The TCP connection was refused (nothing listens on the port).
    case connectionRefused
    /// The host name could not be resolved to an address.
    case unresolvable(String)
    /// The server closed the TCP connection before answering.
    case closed
    /// The answer is not a valid DNS message.
    case malformed(DNSWireError)
    /// Another socket-level failure.
    case io(String)
}

/// Sends one DNS message and waits for the answer with the same ID: over UDP, and over TCP when
/// the message is over 512 bytes (Lifeboat sends no EDNS, so 512 is the UDP limit a server must
/// accept: RFC 1035 §2.3.4; PowerDNS drops larger UPDATE datagrams without a word, and nsupdate
/// uses TCP for them too), when the UDP answer is truncated (TC), or when `forceTCP`. Each try
/// has its own timeout; timeouts are retried after a full-jitter delay; task cancellation stops
/// it at once.
struct DNSTransport: Sendable {
    /// The largest message sent over UDP.
    static let udpLimit = 512
    /// The pause before another try: full jitter up to min(1 s, 100 ms · 2^tries so far), by the
    /// formula of a step's retries (only the delays of this policy are used).
    static let retryPause = RetryPolicy(attempts: 10, delayMs: 200, maxDelayMs: 1_000, jitter: .full)

    var server: DNSServerAddress
    /// Bound for one try (UDP, plus TCP after a truncated answer).
    var timeout: Duration
    var tries: Int
    /// The step's context: the clock that times the tries and the pauses between them.
    var context: ActionContext

    /// The raw answer, and whether it came over TCP.
    func exchange(_ request: [UInt8], forceTCP: Bool = false) async throws -> (bytes: [UInt8], overTCP: Bool) {
        let address = try await resolve()
        let id = UInt16(request[0]) << 8 | UInt16(request[1])
        let tcpOnly = forceTCP || request.count > Self.udpLimit
        for attempt in 0..<max(tries, 1) {
            if attempt > 0 { try await context.pause(afterAttempt: attempt, Self.retryPause) }
            let answer = try await context.withTimeout(timeout) { () async throws -> Answer in
                if !tcpOnly {
                    let answer = try await Self.udp(request, id: id, to: address)
                    // TC set: the whole answer needs TCP (RFC 1035 §4.2.1, RFC 7766).
                    guard answer.count >= 3, answer[2] & 0x02 != 0 else { return Answer(bytes: answer, overTCP: false) }
                }
                return Answer(bytes: try await Self.tcp(request, id: id, to: address), overTCP: true)
            }
            if let answer { return (answer.bytes, answer.overTCP) }
            try Task.checkCancellation()
        }
        throw DNSTransportError.timeout(tries: max(tries, 1), overTCP: tcpOnly)
    }

    private func resolve() async throws -> SocketAddress {
        let host = server.host
        let port = server.port
        // getaddrinfo blocks: run it off the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try SocketAddress.makeAddressResolvingHost(host, port: port))
                } catch {
                    continuation.resume(throwing: DNSTransportError.unresolvable(host))
                }
            }
        }
    }

    private struct Answer: Sendable {
        var bytes: [UInt8]
        var overTCP: Bool
    }

    static func udp(_ request: [UInt8], id: UInt16, to address: SocketAddress) async throws -> [UInt8] {
        let bindHost = address.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: bindHost, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: request)))
            for try await envelope in inbound {
                // Only the server's answer to this ID: anything else is ignored (spoofing, strays).
                guard envelope.remoteAddress == address else { continue }
                let bytes = Array(envelope.data.readableBytesView)
                guard bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { continue }
                return bytes
            }
            try Task.checkCancellation()
            throw DNSTransportError.closed
        }
    }

    static func tcp(_ request: [UInt8], id: UInt16, to address: SocketAddress) async throws -> [UInt8] {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError where error.errnoCode == ECONNREFUSED {
            throw DNSTransportError.connectionRefused
        } catch let error as NIOConnectionError {
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                throw DNSTransportError.connectionRefused
            }
            throw DNSTransportError.io("\(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var framed = ByteBuffer()
            framed.writeInteger(UInt16(request.count))
            framed.writeBytes(request)
            try await outbound.write(framed)
            for try await frame in inbound {
                let bytes = Array(frame.readableBytesView)
                guard bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { continue }
                return bytes
            }
            try Task.checkCancellation()
            throw DNSTransportError.closed
        }
    }
}

/// Splits a TCP stream into DNS messages, each behind a 2-byte length (RFC 1035 §4.2.2).
struct TCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            let frame = buffer.getSlice(at: buffer.readerIndex + 2, length: Int(length))
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2 + Int(length))
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }
}
