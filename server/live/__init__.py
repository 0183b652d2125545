"""Live updates: pokes that tell signed-in clients the change feed has moved."""
