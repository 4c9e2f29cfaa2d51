//! Deterministic cluster simulation: the engine-neutral node API, the turmoil
//! engine, clocks, durable storage, network faults, clients and the recorder.
