//! Example cluster model: dynamo.
