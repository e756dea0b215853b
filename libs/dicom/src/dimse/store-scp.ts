import { createServer, Server as NetServer, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { association as dimseAssociation, constants, Dataset, Implementation, log as dimseLog, requests, responses, Scp } from 'dcmjs-dimse';
import { InstanceSink } from './instance-sink';
import { encodeFileMeta } from './part10-meta';
import { GuardedSocket } from './pdu-guard';

type Association = InstanceType<typeof dimseAssociation.Association>;
type PresentationContext = InstanceType<typeof dimseAssociation.PresentationContext>;

/** C-STORE response statuses (PS3.4 B.2.3, PS3.7 C.4.2). */
export const StoreStatus = {
  Success: 0x0000,
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSOPClass: 0xa900,
  CannotUnderstand: 0xc000,
} as const;

export interface DimseAssociationInfo {
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string;
  /** Abstract syntaxes the requester proposed (e.g. only Verification for a C-ECHO). */
  proposedSopClassUIDs: string[];
}

export type AssociationDecision = { accept: true } | { accept: false; reason: 'calling-ae-not-recognized' | 'called-ae-not-recognized' | 'busy' };

/** An instance received in full, as a Part 10 file on disk (meta header + the dataset as sent). */
export interface ReceivedInstanceFile {
  /** Temporary file; the handler moves it to keep it, otherwise the SCP deletes it afterwards. */
  path: string;
  byteLength: number;
  sopClassUID: string;
  sopInstanceUID: string;
  transferSyntaxUID: string;
}

export type StoreReply = { status: 'stored' } | { status: 'refused'; code: number; comment: string };

/** What happened, for the server's logs and metrics: AE titles, addresses and UIDs only. */
export interface DimseEvent {
  /** `store-received`: an instance the onInstance callback stored (answered Success); `echo`: a C-ECHO answered. */
  type: 'association-accepted' | 'association-rejected' | 'protocol-violation' | 'network-error' | 'store-received' | 'store-refused' | 'echo';
  callingAeTitle?: string;
  remoteAddress?: string;
  detail?: string;
  sopInstanceUID?: string;
}

export interface StoreScpOptions {
  aeTitle: string;
  host: string;
  /** 0 picks a free port; read it back from `port` after `listen`. */
  port: number;
  /** Folder for instances being received (same file system as the store, so a rename moves them). */
  tempDir: string;
  /** Largest instance accepted; a bigger one is answered Out of Resources (A700) and discarded while it streams. */
  maxInstanceBytes: number;
  maxAssociations: number;
  /** Idle time (ms) after which a silent or stalled association is aborted. */
  timeoutMs: number;
  /** Storage SOP Class UIDs accepted; other presentation contexts are rejected (abstract syntax not supported). */
  sopClassUIDs: readonly string[];
  /** Transfer syntaxes accepted, in order of preference. */
  transferSyntaxUIDs: readonly string[];
  checkAssociation(info: DimseAssociationInfo): AssociationDecision | Promise<AssociationDecision>;
  onInstance(info: DimseAssociationInfo, file: ReceivedInstanceFile): Promise<StoreReply>;
  onEvent?(event: DimseEvent): void;
}

/** Verification SOP Class (PS3.4 A.4): C-ECHO. */
export const VERIFICATION_SOP_CLASS = constants.SopClass.Verification;
const VERIFICATION = VERIFICATION_SOP_CLASS;
const IMPLICIT_LE = constants.TransferSyntax.ImplicitVRLittleEndian;
// Max PDU we advertise and accept (PS3.8 D.1); the guard refuses a P-DATA-TF above it.
const MAX_PDU_BYTES = 262_144;

// dcmjs-dimse logs through loglevel to the console with its own format; our server logs JSON events itself.
dimseLog.setLevel('silent');

/** A C-STORE SCP (PS3.4 Annex B) with C-ECHO, on dcmjs-dimse, behind a PDU guard. */
export class StoreScp {
  private server: NetServer | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: StoreScpOptions) {}

  /** Starts listening; resolves once the port is bound (rejects with the bind error, e.g. EADDRINUSE). */
  listen(): Promise<void> {
    Implementation.setMaxPduLength(MAX_PDU_BYTES);
    const ScpClass = createScpClass(this.options);
    const server = createServer((socket) => this.accept(socket, ScpClass));
    server.maxConnections = this.options.maxAssociations;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        server.on('error', (error) => this.options.onEvent?.({ type: 'network-error', detail: error.message }));
        resolve();
      });
    });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** Stops accepting and drops open associations (their instances in flight are discarded). */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket, ScpClass: new (socket: unknown, options: unknown) => Scp): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A socket error (reset by peer) must never become an unhandled 'error' event.
    socket.on('error', () => undefined);
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const guarded = new GuardedSocket(socket, { maxAssociateBytes: 65_536, maxDataBytes: MAX_PDU_BYTES }, (reason) =>
      this.options.onEvent?.({ type: 'protocol-violation', remoteAddress, detail: reason }),
    );
    const timeout = this.options.timeoutMs;
    const scp = new ScpClass(guarded, { connectTimeout: timeout, associationTimeout: timeout, pduTimeout: timeout }) as Scp & {
      connected: boolean;
      connectedTime: number;
    };
    scp.connected = true;
    scp.connectedTime = Date.now();
    scp.on('networkError', (error: Error) => {
      this.options.onEvent?.({ type: 'network-error', remoteAddress, detail: error.message });
      socket.destroy();
    });
  }
}

/**
 * dcmjs-dimse creates one Scp per connection from a class; the options reach it through this closure.
 * What the class must keep: one C-STORE at a time per association (no asynchronous operations are
 * negotiated), so `sink` holds the instance being received.
 */
function createScpClass(options: StoreScpOptions): new (socket: unknown, scpOptions: unknown) => Scp {
  return class CovsegScp extends Scp {
    private info: DimseAssociationInfo | undefined;
    /** The instance being received. */
    private sink: InstanceSink | undefined;
    /** The instance received in full, waiting for cStoreRequest. */
    private completed: InstanceSink | undefined;

    constructor(socket: unknown, scpOptions: unknown) {
      super(socket as Socket, scpOptions as ConstructorParameters<typeof Scp>[1]);
      // A connection that drops mid-instance (truncated transfer) leaves no open file and no temp file.
      this.on('close', () => {
        this.sink?.discard();
        this.completed?.discard();
        this.sink = this.completed = undefined;
      });
    }

    override associationRequested(association: Association): void {
      const socket = (this as unknown as { socket: GuardedSocket }).socket;
      const contexts = association.getPresentationContexts() as Array<{ id: number; context: PresentationContext }>;
      const info: DimseAssociationInfo = {
        callingAeTitle: association.getCallingAeTitle().trim(),
        calledAeTitle: association.getCalledAeTitle().trim(),
        remoteAddress: socket.remoteAddress ?? 'unknown',
        proposedSopClassUIDs: contexts.map((c) => c.context.getAbstractSyntaxUid()),
      };
      // The decision may come from a database (asynchronously): the requester waits for our A-ASSOCIATE-AC/RJ.
      Promise.resolve()
        .then(() => options.checkAssociation(info))
        .then(
          (decision) => this.decide(association, socket, contexts, info, decision),
          () => this.decide(association, socket, contexts, info, { accept: false, reason: 'busy' }),
        );
    }

    private decide(
      association: Association,
      socket: GuardedSocket,
      contexts: Array<{ id: number; context: PresentationContext }>,
      info: DimseAssociationInfo,
      decision: AssociationDecision,
    ): void {
      if (!decision.accept) {
        options.onEvent?.({ type: 'association-rejected', callingAeTitle: info.callingAeTitle, remoteAddress: info.remoteAddress, detail: decision.reason });
        // PS3.8 9.3.4: rejected-permanent by the service user for unknown AE titles; transient for congestion.
        const { RejectResult, RejectSource, RejectReason } = constants;
        if (decision.reason === 'busy') this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.TemporaryCongestion);
        else this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, decision.reason === 'calling-ae-not-recognized' ? RejectReason.CallingAeNotRecognized : RejectReason.CalledAeNotRecognized);
        // Nothing more may follow a reject (PS3.8 9.2.3): close once the A-ASSOCIATE-RJ is flushed.
        socket.end();
        return;
      }
      this.info = info;
      // A requester that states no maximum (0 = unlimited) gets ours, so its P-DATA-TFs stay under the guard's limit.
      if (association.getMaxPduLength() === 0 || association.getMaxPduLength() > MAX_PDU_BYTES) association.setMaxPduLength(MAX_PDU_BYTES);
      for (const context of contexts) negotiate(context.context, options);
      options.onEvent?.({ type: 'association-accepted', callingAeTitle: info.callingAeTitle, remoteAddress: info.remoteAddress });
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }

    override cEchoRequest(request: InstanceType<typeof requests.CEchoRequest>, callback: (response: InstanceType<typeof responses.CEchoResponse>) => void): void {
      const response = responses.CEchoResponse.fromRequest(request);
      response.setStatus(constants.Status.Success);
      options.onEvent?.({ type: 'echo', callingAeTitle: this.info?.callingAeTitle, remoteAddress: this.info?.remoteAddress });
      callback(response);
    }

    override createStoreWritableStream(context: PresentationContext, request: InstanceType<typeof requests.CStoreRequest>): Writable {
      const meta = encodeFileMeta({
        mediaStorageSOPClassUID: request.getAffectedSopClassUid(),
        mediaStorageSOPInstanceUID: request.getAffectedSopInstanceUid(),
        transferSyntaxUID: context.getAcceptedTransferSyntaxUid() ?? IMPLICIT_LE,
        sourceApplicationEntityTitle: this.info?.callingAeTitle ?? '',
      });
      this.sink?.discard();
      this.sink = new InstanceSink(options.tempDir, meta, options.maxInstanceBytes, context.getAcceptedTransferSyntaxUid() ?? IMPLICIT_LE);
      return this.sink;
    }

    override createDatasetFromStoreWritableStream(writable: Writable, _context: PresentationContext, callback: (dataset: Dataset) => void): void {
      // The data set stays on disk; the request carries an empty one and cStoreRequest takes `completed`.
      // `writable` is the sink this data set was written to, whatever a misbehaving peer sent since.
      if (!(writable instanceof InstanceSink)) return callback(new Dataset({}));
      const sink = writable;
      const done = () =>
        void sink.close().then(() => {
          this.completed = sink;
          callback(new Dataset({}));
        });
      if (sink.writableFinished) done();
      else sink.once('finish', done);
    }

    override cStoreRequest(request: InstanceType<typeof requests.CStoreRequest>, callback: (response: InstanceType<typeof responses.CStoreResponse>) => void): void {
      const sink = this.completed;
      this.completed = undefined;
      if (this.sink === sink) this.sink = undefined;
      const respond = (code: number, comment?: string) => {
        const response = responses.CStoreResponse.fromRequest(request);
        response.setStatus(code);
        if (comment) response.setErrorComment(comment.slice(0, 64));
        callback(response);
      };
      const info = this.info;
      const sopInstanceUID = request.getAffectedSopInstanceUid();
      if (!sink || !info) return respond(StoreStatus.CannotUnderstand, 'no data set received');
      const refuse = (code: number, comment: string) => {
        sink.discard();
        options.onEvent?.({ type: 'store-refused', callingAeTitle: info.callingAeTitle, remoteAddress: info.remoteAddress, sopInstanceUID, detail: comment });
        respond(code, comment);
      };
      if (sink.overflowed) return refuse(StoreStatus.OutOfResources, `instance larger than ${options.maxInstanceBytes} bytes`);
      if (sink.failed) return refuse(StoreStatus.OutOfResources, 'could not write the instance to disk');
      const file: ReceivedInstanceFile = {
        path: sink.path,
        byteLength: sink.bytes,
        sopClassUID: request.getAffectedSopClassUid(),
        sopInstanceUID,
        transferSyntaxUID: sink.transferSyntaxUID,
      };
      options
        .onInstance(info, file)
        .then((reply) => {
          if (reply.status === 'stored') {
            sink.discard();
            options.onEvent?.({ type: 'store-received', callingAeTitle: info.callingAeTitle, remoteAddress: info.remoteAddress, sopInstanceUID });
            respond(StoreStatus.Success);
          } else refuse(reply.code, reply.comment);
        })
        .catch((error: unknown) => refuse(StoreStatus.OutOfResources, error instanceof Error ? error.message : 'storage failed'));
    }

    override abort(): void {
      this.sink?.discard();
      this.sink = undefined;
    }
  };
}

/** Accepts Verification and the configured storage SOP classes in the first transfer syntax we both know. */
function negotiate(context: PresentationContext, options: StoreScpOptions): void {
  const { PresentationContextResult } = constants;
  const abstract = context.getAbstractSyntaxUid();
  if (abstract !== VERIFICATION && !options.sopClassUIDs.includes(abstract)) {
    context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
    return;
  }
  const proposed = context.getTransferSyntaxUids();
  const chosen = abstract === VERIFICATION ? proposed.find((ts) => ts === IMPLICIT_LE) ?? proposed[0] : options.transferSyntaxUIDs.find((ts) => proposed.includes(ts));
  if (chosen) context.setResult(PresentationContextResult.Accept, chosen);
  else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
}
