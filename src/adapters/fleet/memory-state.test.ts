import { describeClusterStateContract } from "../../../test/contracts/cluster-state-store.contract.js";
import { openMemoryClusterState } from "./memory-state.js";

describeClusterStateContract("memory", async () => openMemoryClusterState());
