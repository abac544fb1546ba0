import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_TYPE_UNSPECIFIED: _ClassVar[MessageType]
    HANDOFF: _ClassVar[MessageType]
    STATE_UPDATE: _ClassVar[MessageType]
    COMPLETION: _ClassVar[MessageType]
    FAILURE: _ClassVar[MessageType]
MESSAGE_TYPE_UNSPECIFIED: MessageType
HANDOFF: MessageType
STATE_UPDATE: MessageType
COMPLETION: MessageType
FAILURE: MessageType

class BroadcastMessageRequest(_message.Message):
    __slots__ = ("execution_id", "sender_agent_id", "receiver_agent_ids", "message_type", "message", "term")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    sender_agent_id: str
    receiver_agent_ids: _containers.RepeatedScalarFieldContainer[str]
    message_type: MessageType
    message: _struct_pb2.Struct
    term: int
    def __init__(self, execution_id: _Optional[str] = ..., sender_agent_id: _Optional[str] = ..., receiver_agent_ids: _Optional[_Iterable[str]] = ..., message_type: _Optional[_Union[MessageType, str]] = ..., message: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., term: _Optional[int] = ...) -> None: ...

class BroadcastMessageResponse(_message.Message):
    __slots__ = ("consensus_log_id", "acks_required", "consensus_reached", "broadcast_at")
    CONSENSUS_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    ACKS_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_REACHED_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_AT_FIELD_NUMBER: _ClassVar[int]
    consensus_log_id: str
    acks_required: int
    consensus_reached: bool
    broadcast_at: _timestamp_pb2.Timestamp
    def __init__(self, consensus_log_id: _Optional[str] = ..., acks_required: _Optional[int] = ..., consensus_reached: _Optional[bool] = ..., broadcast_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AcknowledgeMessageRequest(_message.Message):
    __slots__ = ("consensus_log_id", "agent_id", "valid")
    CONSENSUS_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    consensus_log_id: str
    agent_id: str
    valid: bool
    def __init__(self, consensus_log_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., valid: _Optional[bool] = ...) -> None: ...

class AcknowledgeMessageResponse(_message.Message):
    __slots__ = ("success", "total_acks", "consensus_reached")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ACKS_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_REACHED_FIELD_NUMBER: _ClassVar[int]
    success: bool
    total_acks: int
    consensus_reached: bool
    def __init__(self, success: _Optional[bool] = ..., total_acks: _Optional[int] = ..., consensus_reached: _Optional[bool] = ...) -> None: ...

class GetConsensusStatusRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    def __init__(self, execution_id: _Optional[str] = ...) -> None: ...

class GetConsensusStatusResponse(_message.Message):
    __slots__ = ("execution_id", "current_term", "leader_agent_id", "logs")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_TERM_FIELD_NUMBER: _ClassVar[int]
    LEADER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    current_term: int
    leader_agent_id: str
    logs: _containers.RepeatedCompositeFieldContainer[ConsensusLog]
    def __init__(self, execution_id: _Optional[str] = ..., current_term: _Optional[int] = ..., leader_agent_id: _Optional[str] = ..., logs: _Optional[_Iterable[_Union[ConsensusLog, _Mapping]]] = ...) -> None: ...

class ConsensusLog(_message.Message):
    __slots__ = ("id", "term", "log_index", "sender_agent_id", "message_type", "consensus_reached", "acks_received", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    LOG_INDEX_FIELD_NUMBER: _ClassVar[int]
    SENDER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_REACHED_FIELD_NUMBER: _ClassVar[int]
    ACKS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    term: int
    log_index: int
    sender_agent_id: str
    message_type: MessageType
    consensus_reached: bool
    acks_received: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., term: _Optional[int] = ..., log_index: _Optional[int] = ..., sender_agent_id: _Optional[str] = ..., message_type: _Optional[_Union[MessageType, str]] = ..., consensus_reached: _Optional[bool] = ..., acks_received: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ElectLeaderRequest(_message.Message):
    __slots__ = ("execution_id", "candidate_agent_id", "term")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    candidate_agent_id: str
    term: int
    def __init__(self, execution_id: _Optional[str] = ..., candidate_agent_id: _Optional[str] = ..., term: _Optional[int] = ...) -> None: ...

class ElectLeaderResponse(_message.Message):
    __slots__ = ("elected", "leader_agent_id", "term")
    ELECTED_FIELD_NUMBER: _ClassVar[int]
    LEADER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    elected: bool
    leader_agent_id: str
    term: int
    def __init__(self, elected: _Optional[bool] = ..., leader_agent_id: _Optional[str] = ..., term: _Optional[int] = ...) -> None: ...
