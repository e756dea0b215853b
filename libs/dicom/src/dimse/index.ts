export { DimseAssociationRejectedError, DimseError, DimseNetworkError, DimseStatusError } from './dimse-errors';
export { readInstanceIdentity, type InstanceIdentity } from './instance-identity';
export { encodeFileMeta, IMPLEMENTATION_CLASS_UID } from './part10-meta';
export { GuardedSocket, PduType } from './pdu-guard';
export { type AssociationDecision, type DimseAssociationInfo, type DimseEvent, type ReceivedInstanceFile, StoreScp, type StoreScpOptions, StoreStatus, type StoreReply, VERIFICATION_SOP_CLASS } from './store-scp';
export { type CStoreOutcome, type DimseTarget, echoScu, storeScu } from './store-scu';
