"""The domain model, one module per domain; importing this package registers every table.

A model module imports no other model module but ``base`` and ``reference``: a relationship to
another module's class names it in its ``Mapped[...]`` annotation (a string; the class is imported
under ``TYPE_CHECKING`` only) and SQLAlchemy finds the class by that name once this package has
registered them all. Code outside ``models/`` imports from here or from one module; a module
inside never imports this package.
"""
from .reference import (  # noqa: F401
    ClientCategory, CourseFormat, Field, ImmigrationStatus, IncomeSupport, Language, PartnerType,
    Region, Skill,
)
from .people import (  # noqa: F401
    Enterprise, EnterpriseMembership, Learner, Partner, PartnerMembership, Site, Teacher, UserPreference,
)
from .catalogue import Course, Delivery, Meeting, Section, SectionStatus, Term, TermClosedDate  # noqa: F401
from .intake import (  # noqa: F401
    Application, ApplicationEvent, ApplicationStatus, CapacityDeclaration, Document, DocumentType,
    EnterpriseRequest, PlacementResult, RequestStatus,
)
from .enrolment import Availability, AvailabilityKind, Enrolment, EnrolmentStatus, Plan, PlanItem  # noqa: F401
from .records import Attendance, ExamResult, IssuedDocument, IssuedDocumentKind  # noqa: F401
from .finance import (  # noqa: F401
    Allowance, AllowanceKind, AllowanceRule, AllowanceStatus, AllowanceUnit, Payment,
)
from .compliance import (  # noqa: F401
    AccessLog, AuditEvent, CaseNote, DeliveryStatus, Incident, Job, JobStatus, Message, ReportRun,
)
from .accounts import AccountSecurity, AccountToken, RecoveryCode, SessionEnd, TokenPurpose, UserSession  # noqa: F401
