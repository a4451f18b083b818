/** A cluster member as the answering gateway sees it (`GET /api/server/cluster`, docs/protocol.md). */
export interface ClusterMemberDto {
  /** The node's Akka address, e.g. `akka.tcp://openchat@10.0.0.5:4053`. */
  address: string;
  /** Its OpenChat roles: `gateway`, `channels`, `media`. */
  roles: string[];
  /** `joining`, `up`, `leaving`, `exiting`, `down`, `removed`, … */
  status: string;
  /** False while the cluster's failure detector cannot reach it. */
  reachable: boolean;
  upSince: string | null;
}

/** A media node's last load report. */
export interface MediaNodeDto {
  node: string;
  rooms: number;
  members: number;
  maxMembers: number;
  mixCpuPercent: number;
  tickP99Ms: number;
  lateTicks: number;
  draining: boolean;
  reportedAt: string;
  inboundLossPercent: number;
}

/** A voice channel's room: the node its mixer runs on (null: no room now) and who is in it. */
export interface VoiceRoomDto {
  channelId: string;
  node: string | null;
  members: { userId: string; displayName: string }[];
}

/** The channel shards a channels node hosts. */
export interface ShardAllocationDto {
  node: string;
  shards: number;
  entities: number;
}

/** The cluster view: its members, the leader, channel shards, media load and voice rooms. */
export interface ClusterDto {
  self: string;
  leader: string | null;
  members: ClusterMemberDto[];
  shards: ShardAllocationDto[];
  shardsComplete: boolean;
  mediaNodes: MediaNodeDto[];
  voiceRooms: VoiceRoomDto[];
  voiceComplete: boolean;
}
