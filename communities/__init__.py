"""Communities: neighbourhoods, their members (the register), roles and interests."""
