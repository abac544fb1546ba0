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

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    PENDING: _ClassVar[ExecutionStatus]
    RUNNING: _ClassVar[ExecutionStatus]
    PAUSED: _ClassVar[ExecutionStatus]
    COMPLETED: _ClassVar[ExecutionStatus]
    FAILED: _ClassVar[ExecutionStatus]
    ROLLED_BACK: _ClassVar[ExecutionStatus]
    CANCELLED: _ClassVar[ExecutionStatus]
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
PENDING: ExecutionStatus
RUNNING: ExecutionStatus
PAUSED: ExecutionStatus
COMPLETED: ExecutionStatus
FAILED: ExecutionStatus
ROLLED_BACK: ExecutionStatus
CANCELLED: ExecutionStatus

class StartExecutionRequest(_message.Message):
    __slots__ = ("workflow_id", "input_params", "trigger_type", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_PARAMS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    input_params: _struct_pb2.Struct
    trigger_type: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, workflow_id: _Optional[str] = ..., input_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., trigger_type: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StartExecutionResponse(_message.Message):
    __slots__ = ("execution_id", "status", "created_at")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    status: ExecutionStatus
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, execution_id: _Optional[str] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetExecutionStatusRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    def __init__(self, execution_id: _Optional[str] = ...) -> None: ...

class GetExecutionStatusResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: Execution
    def __init__(self, execution: _Optional[_Union[Execution, _Mapping]] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("id", "workflow_id", "status", "started_at", "completed_at", "current_checkpoint", "progress", "agents", "result", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    workflow_id: str
    status: ExecutionStatus
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    current_checkpoint: str
    progress: Progress
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    result: _struct_pb2.Struct
    error: str
    def __init__(self, id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current_checkpoint: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ..., result: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("current_step", "total_steps", "percentage")
    CURRENT_STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    current_step: int
    total_steps: int
    percentage: float
    def __init__(self, current_step: _Optional[int] = ..., total_steps: _Optional[int] = ..., percentage: _Optional[float] = ...) -> None: ...

class Agent(_message.Message):
    __slots__ = ("id", "name", "agent_type", "status", "duration_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    agent_type: str
    status: ExecutionStatus
    duration_ms: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., agent_type: _Optional[str] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., duration_ms: _Optional[int] = ...) -> None: ...

class PauseExecutionRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    def __init__(self, execution_id: _Optional[str] = ...) -> None: ...

class PauseExecutionResponse(_message.Message):
    __slots__ = ("success", "paused_at")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    paused_at: _timestamp_pb2.Timestamp
    def __init__(self, success: _Optional[bool] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResumeExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "from_checkpoint")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    from_checkpoint: str
    def __init__(self, execution_id: _Optional[str] = ..., from_checkpoint: _Optional[str] = ...) -> None: ...

class ResumeExecutionResponse(_message.Message):
    __slots__ = ("success", "resumed_at")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESUMED_AT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    resumed_at: _timestamp_pb2.Timestamp
    def __init__(self, success: _Optional[bool] = ..., resumed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CancelExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "reason")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    reason: str
    def __init__(self, execution_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelExecutionResponse(_message.Message):
    __slots__ = ("success", "cancelled_at")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_AT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    cancelled_at: _timestamp_pb2.Timestamp
    def __init__(self, success: _Optional[bool] = ..., cancelled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StreamExecutionEventsRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    def __init__(self, execution_id: _Optional[str] = ...) -> None: ...

class ExecutionEvent(_message.Message):
    __slots__ = ("event_type", "timestamp", "data")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    timestamp: _timestamp_pb2.Timestamp
    data: _struct_pb2.Struct
    def __init__(self, event_type: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
